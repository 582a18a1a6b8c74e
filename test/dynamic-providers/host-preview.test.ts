// The real providers, serialized under mocks and driven through the real dynamic-provider host, in preview mode:
// Check and Diff only, offline. Bad input is rejected with the field named; unknowns are skipped.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as os from "os";
import * as path from "path";
import { Authorization } from "../../dynamic-providers/authorization";
import { Bucket } from "../../dynamic-providers/bucket";
import { Organization } from "../../dynamic-providers/organization";
import { Task } from "../../dynamic-providers/task";
import {
    captureDynamicResources,
    CheckFailedError,
    Engine,
    ProviderHost,
    Props,
    UNKNOWN,
} from "../harness/provider-host";

const ORG = "0123456789abcdef";
const FLUX = 'option task = {name: "t", every: 1h}\n\nfrom(bucket: "a") |> range(start: -1h) |> to(bucket: "b")\n';
const urn = (type: string, name: string) =>
    `urn:pulumi:test::flagsmith-influxdb::pulumi-nodejs:dynamic/influxdb:${type}::${name}`;

describe("providers through the host: previews are offline", function () {
    let host: ProviderHost;
    const inputs: Record<string, Props> = {};

    before(async function () {
        // Port 9 (discard) on loopback: nothing listens, so any request would fail loudly.
        const connection = { url: "http://127.0.0.1:9", token: pulumi.secret("offline-token-value") };
        const captured = await captureDynamicResources(() => {
            new Bucket("b", { connection, orgId: ORG, name: "b", retentionSeconds: 7200 });
            new Task("t", { connection, orgId: ORG, flux: FLUX });
            new Authorization("a", {
                connection,
                orgId: ORG,
                description: "d",
                permissions: [{ action: "read", resource: { type: "buckets" } }],
            });
            new Organization("o", { connection, name: "org" });
        });
        for (const c of captured) {
            inputs[c.type.split(":").pop()!] = c.inputs;
        }
        host = await ProviderHost.start();
    });
    after(async () => host?.stop());

    it("serializes each provider as a stub of at most 4 KiB, without the token, a client or the implementation", function () {
        assert.deepStrictEqual(Object.keys(inputs).sort(), ["Authorization", "Bucket", "Organization", "Task"]);
        for (const [type, i] of Object.entries(inputs)) {
            const code = i.__provider as string;
            assert.strictEqual(typeof code, "string", type);
            assert.ok(code.length <= 4096, `${type} provider code is ${code.length} bytes`);
            assert.match(code, new RegExp(`kind: "${type}"`), type);
            assert.ok(!code.includes("offline-token-value"), `${type} provider code contains the token`);
            // Resolved in the plugin from its working directory: the state works from any checkout or CI runner.
            assert.ok(!code.includes(path.resolve(__dirname, "..", "..")), `${type} provider code names this checkout`);
            assert.ok(
                !/new InfluxDB|writeApi|readApi|retentionRules|analyzeFlux/.test(code),
                `${type} captured its implementation`,
            );
        }
    });

    it("serializes the same stub for every resource of a kind, whatever its inputs", async function () {
        const connection = { url: "http://127.0.0.1:10", token: pulumi.secret("another-token") };
        const [other] = await captureDynamicResources(() => {
            new Bucket("other", { connection, orgId: "fedcba9876543210", name: "z", description: "other" });
        });
        assert.strictEqual(other.inputs.__provider, inputs.Bucket.__provider);
    });

    it("fails with a message naming the program directory when the plugin runs elsewhere", async function () {
        const stray = await ProviderHost.start({ cwd: os.tmpdir() });
        try {
            await assert.rejects(
                new Engine(stray).preview(urn("Bucket", "b"), inputs.Bucket),
                /cannot load the InfluxDB providers \(\.\/dynamic-providers\/host\) from .*program's directory/,
            );
        } finally {
            await stray.stop();
        }
    });

    const bad: [string, string, Props, string, RegExp][] = [
        ["Bucket", "retention 60 s", { retentionSeconds: 60 }, "retentionSeconds", /minimum of 3600/],
        ["Bucket", "a leading underscore", { name: "_x" }, "name", /must not start with `_`/],
        [
            "Bucket",
            "shard groups over retention",
            { shardGroupDurationSeconds: 86400 },
            "shardGroupDurationSeconds",
            /larger than/,
        ],
        ["Bucket", "a non-http URL", { connection: { url: "file:///x", token: "x" } }, "connection.url", /http\(s\)/],
        ["Task", "an unknown function", { flux: FLUX.replace("range(", "rang(") }, "flux", /undefined identifier rang/],
        ["Task", "no option task", { flux: 'from(bucket: "a") |> range(start: -1h)' }, "flux", /option task/],
        [
            "Task",
            "both every and cron",
            { flux: FLUX.replace("every: 1h", 'every: 1h, cron: "0 * * * *"') },
            "flux",
            /every.*cron|cron.*every/,
        ],
        [
            "Task",
            "a non-literal option",
            { flux: "e = 1h\n" + FLUX.replace("every: 1h", "every: e") },
            "flux",
            /literal/,
        ],
        ["Task", "a bad status", { status: "paused" }, "status", /active/],
        [
            "Authorization",
            "an unknown resource type",
            { permissions: [{ action: "read", resource: { type: "bucket" } }] },
            "permissions[0].resource.type",
            /not an InfluxDB resource type/,
        ],
        [
            "Authorization",
            "an unknown action",
            { permissions: [{ action: "admin", resource: { type: "buckets" } }] },
            "permissions[0].action",
            /read.*write/,
        ],
        ["Organization", "an empty name", { name: "" }, "name", /non-empty/],
    ];
    for (const [type, label, patch, property, reason] of bad) {
        it(`Check rejects ${type} with ${label}, naming ${property}`, async function () {
            const engine = new Engine(host);
            const err = await engine.preview(urn(type, "x"), { ...inputs[type], ...patch }).catch((e: unknown) => e);
            assert.ok(err instanceof CheckFailedError, `expected a check failure, got ${String(err)}`);
            const f = err.failures.find((x) => x.property === property);
            assert.ok(f, JSON.stringify(err.failures));
            assert.match(f.reason, reason);
            assert.ok(!engine.log.some((c) => c.method !== "Check" && c.method !== "Configure"));
        });
    }

    it("a preview with unknown inputs plans a create without calling the server", async function () {
        const engine = new Engine(host);
        for (const [type, i] of Object.entries(inputs)) {
            const unknowns: Props = { ...i, orgId: UNKNOWN, connection: { url: UNKNOWN, token: UNKNOWN } };
            if (type === "Task") unknowns.flux = UNKNOWN;
            if (type === "Authorization")
                unknowns.permissions = [{ action: "read", resource: { type: "buckets", id: UNKNOWN } }];
            assert.strictEqual(await engine.preview(urn(type, `u-${type}`), unknowns), "create", type);
        }
        assert.deepStrictEqual([...new Set(engine.log.map((c) => c.method))].sort(), ["Check", "Configure"]);
    });
});
