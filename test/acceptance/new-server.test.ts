// A new, empty InfluxDB behind the same URL (a new first boot: a pod restarted without persistence, a changed release):
// the next preview shows what the stack will recreate and why, the next up recreates the buckets, tasks and Flagsmith's
// token in the new server, and a preview that cannot reach InfluxDB still works. The whole program (index.ts) through
// the real dynamic-provider host, against a stand-in replaced by a fresh one on the same port.
import * as assert from "assert";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";
import { LiveStack, opsByName } from "../harness/live-engine";
import * as pulumi from "@pulumi/pulumi";
import { resolveOutput, resolveOutputs } from "../harness/mocks";
import { ProviderHost } from "../harness/provider-host";

type Outputs = Record<string, unknown>;
const program = (): Promise<Outputs> => (require("../../index") as () => Promise<Outputs>)();
const TOKEN = "the-operator-token-of-every-first-boot";

describe("a new, empty InfluxDB behind the same URL", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    let standIn: InfluxStandIn;
    let port: number;
    let stack: LiveStack;

    before(async function () {
        standIn = await InfluxStandIn.start({ setup: { token: TOKEN, org: "flagsmith", bucket: "default" } });
        const target = standInTarget(standIn);
        port = Number(new URL(target.url).port);
        host = await ProviderHost.start();
        stack = new LiveStack(host, {
            stack: "newserver",
            config: {
                platform: "external",
                influxdb: { url: target.url, org: "flagsmith", bucket: "default" },
                flagsmith: { enabled: false },
            },
            secretConfig: { influxdbToken: TOKEN },
        });
    });
    after(async function () {
        await stack?.destroy().catch(() => undefined);
        await host?.stop();
        await standIn?.stop();
    });

    /** Stops the server and starts an empty one on the same port, set up again with the same token and org name. */
    async function newFirstBoot(): Promise<InfluxStandIn> {
        await standIn.stop();
        standIn = await InfluxStandIn.start({ port, setup: { token: TOKEN, org: "flagsmith", bucket: "default" } });
        return standIn;
    }

    it("after a new first boot, the preview shows the recreation and the up recreates everything in it", async function () {
        const first = await stack.up(program);
        const firstEnv = await resolveOutputs(first.run.result);
        const oldOrgId = firstEnv.influxdbOrgId.value;

        const fresh = await newFirstBoot();
        assert.notStrictEqual(standInTarget(fresh).orgId, oldOrgId, "a new first boot makes a new organization");
        const preview = await stack.preview(program);
        const planned = opsByName(preview.steps);
        // The lookup is replaced (its probe found another ID), and with it everything inside the organization.
        assert.strictEqual(planned["influxdb-org"], "replace", JSON.stringify(planned));
        for (const [name, op] of Object.entries(planned)) {
            if (name !== "influxdb-org") assert.strictEqual(op, "replace", `${name}: ${JSON.stringify(planned)}`);
        }
        assert.deepStrictEqual(
            Object.keys(fresh.requestCounts()).filter((r) => !r.startsWith("GET ")),
            [],
            "a preview writes nothing",
        );

        const { run } = await stack.up(program);
        const outputs = await resolveOutputs(run.result);
        assert.strictEqual(outputs.influxdbOrgId.value, standInTarget(fresh).orgId);
        const names = fresh
            .buckets()
            .map((b) => b.name)
            .sort();
        for (const b of ["default", "default_downsampled_15m", "default_downsampled_1h"])
            assert.ok(names.includes(b), names.join());
        assert.strictEqual(fresh.tasks().length, 4);
        // Flagsmith's token exists in the new server: the stack hands out a token the server knows.
        const env = (await resolveOutput(pulumi.output(run.result.flagsmithEnv as Record<string, string>))).value!;
        assert.ok(
            fresh.authorizations().some((a) => a.token === env.INFLUXDB_TOKEN),
            "Flagsmith's token is the new server's",
        );
        // And it has converged: the next preview changes nothing.
        const again = await stack.preview(program);
        assert.ok(
            again.steps.every((s) => s.op === "same"),
            JSON.stringify(opsByName(again.steps)),
        );
    });

    it("a preview that cannot reach InfluxDB still works and plans no change", async function () {
        await standIn.stop();
        try {
            const preview = await stack.preview(program);
            assert.ok(
                preview.steps.every((s) => s.op === "same"),
                JSON.stringify(opsByName(preview.steps)),
            );
        } finally {
            standIn = await InfluxStandIn.start({ port, setup: false });
        }
    });
});
