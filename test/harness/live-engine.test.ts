// The live stack harness in parallel mode (used by the benchmark): operations run at once along the dependency graph,
// as the Pulumi engine runs them, and destroy still deletes every dependent before what it depends on.
import * as assert from "assert";
import { InfluxAnalytics } from "../../components/analytics";
import { InfluxStandIn, standInTarget } from "./influx-standin";
import { LiveStack, standInInflux } from "./live-engine";
import { ProviderHost } from "./provider-host";

describe("live stack harness: parallel operations", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    let standIn: InfluxStandIn;

    before(async function () {
        host = await ProviderHost.start();
        standIn = await InfluxStandIn.start({ faults: { latencyMs: 200 } });
    });
    after(async function () {
        standIn?.assertNoContractViolations();
        await standIn?.stop();
        await host?.stop();
    });

    it("creates, refreshes and destroys in parallel, deleting tasks and the token before the buckets", async function () {
        const program = () =>
            new InfluxAnalytics("analytics", {
                influx: standInInflux(standInTarget(standIn)),
            });
        const stack = new LiveStack(host, { stack: "parallel", parallel: true });
        const before = standIn.buckets().length;
        await stack.up(program);
        assert.strictEqual(standIn.buckets().length, before + 3);
        assert.strictEqual(standIn.tasks().length, 4);

        // The creates of one level overlap: the four tasks and the token are sent before any of them is answered.
        const creates = standIn
            .requestLog()
            .filter((r) => r.route === "POST /api/v2/tasks" || r.route === "POST /api/v2/authorizations");
        assert.strictEqual(creates.length, 5);
        assert.ok(
            Math.max(...creates.map((r) => r.startMs)) < Math.min(...creates.map((r) => r.endMs)),
            "creates of one level ran one after another",
        );

        standIn.resetCounts();
        const refreshed = await stack.refresh();
        assert.strictEqual(refreshed.filter((s) => s.op === "refresh").length, 9);

        standIn.resetCounts();
        await stack.destroy();
        const log = standIn.requestLog();
        const lastDependentDelete = Math.max(
            ...log.filter((r) => /^DELETE \/api\/v2\/(tasks|authorizations)\//.test(r.route)).map((r) => r.endMs),
        );
        const bucketDeletes = log.filter((r) => r.route === "DELETE /api/v2/buckets/{bucketID}");
        assert.strictEqual(bucketDeletes.length, 3);
        assert.ok(
            bucketDeletes.every((r) => r.startMs >= lastDependentDelete),
            "a bucket was deleted before its tasks",
        );
        assert.strictEqual(standIn.buckets().length, before);
        assert.deepStrictEqual(standIn.tasks(), []);
    });
});
