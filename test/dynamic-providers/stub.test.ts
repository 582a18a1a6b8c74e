// The stub contract (dynamic-providers/host.ts): a stack's state holds the stub its version serialized, and every
// later checkout must serve it. A stub committed by an earlier version (test/fixtures/bucket-stub-7468430.js, the
// `__provider` of a Bucket as commit 7468430 serialized it, byte for byte) is replayed through the real plugin.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Bucket } from "../../dynamic-providers/bucket";
import { HOST_MODULE, ProviderKind } from "../../dynamic-providers/stub";
import { captureDynamicResources, CheckFailedError, Engine, ProviderHost, Props } from "../harness/provider-host";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";

const OLD_STUB = fs.readFileSync(path.join(__dirname, "..", "fixtures", "bucket-stub-7468430.js"), "utf8");
const urnOf = (name: string) => `urn:pulumi:test::flagsmith-influxdb::pulumi-nodejs:dynamic/influxdb:Bucket::${name}`;

describe("the stub contract: stacks deployed by earlier versions keep working", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    let standIn: InfluxStandIn;
    let base: Props;

    before(async () => {
        standIn = await InfluxStandIn.start();
        const target = standInTarget(standIn);
        const [captured] = await captureDynamicResources(() => {
            new Bucket("b", {
                connection: { url: target.url, token: pulumi.secret(target.token) },
                orgId: target.orgId,
                name: "x",
            });
        });
        base = captured.inputs;
        host = await ProviderHost.start();
    });
    after(async () => {
        await host?.stop();
        await standIn?.stop();
    });

    it("the earlier version's stub still creates, reads, updates and deletes a bucket through the plugin", async function () {
        assert.match(OLD_STUB, /hostModule: "\.\/dynamic-providers\/host", kind: "Bucket"/, "the fixture is a stub");
        const engine = new Engine(host);
        const urn = urnOf("old-stub");
        const inputs = (fields: Props) => ({ ...base, __provider: OLD_STUB, name: "old-stub", ...fields });
        const created = await engine.up(urn, inputs({ retentionSeconds: 7200 }));
        assert.strictEqual(created.op, "create");
        assert.strictEqual(standIn.buckets().find((b) => b.name === "old-stub")?.retentionSeconds, 7200);
        assert.ok(await engine.refresh(urn));
        assert.strictEqual((await engine.up(urn, inputs({ retentionSeconds: 10800 }))).op, "update");
        await engine.destroy(urn);
        assert.strictEqual(standIn.buckets().filter((b) => b.name === "old-stub").length, 0);
    });

    it("a kind this checkout does not serve fails saying so, not with a bare TypeError", async function () {
        const engine = new Engine(host);
        const retired = OLD_STUB.replace('kind: "Bucket"', 'kind: "RetiredKind"');
        const err = await engine
            .up(urnOf("retired"), { ...base, __provider: retired, name: "retired" })
            .catch((e: unknown) => e as Error);
        assert.ok(err instanceof Error && !(err instanceof CheckFailedError));
        assert.match(
            err.message,
            /kind "RetiredKind", which this checkout of the program does not serve \(dynamic-providers\/host\.ts serves Authorization, Backfill, Bucket, Organization, OrganizationProbe, Task\)\. The stack was deployed by another version/,
        );
    });

    it("the host module is where stubs look for it and serves every kind", function () {
        const host = require(path.resolve(__dirname, "..", "..", HOST_MODULE)) as {
            providers: Record<string, Record<string, unknown>>;
        };
        const kinds: ProviderKind[] = [
            "Authorization",
            "Backfill",
            "Bucket",
            "Organization",
            "OrganizationProbe",
            "Task",
        ];
        for (const kind of kinds) {
            for (const method of ["check", "diff", "create", "read", "update", "delete"]) {
                assert.strictEqual(typeof host.providers[kind][method], "function", `${kind}.${method}`);
            }
        }
    });
});
