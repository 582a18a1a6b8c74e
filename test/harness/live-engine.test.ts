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

        // The creates of one level overlap: tasks and the token are sent while others of them are still unanswered
        // (a sequential run would answer each before sending the next).
        const creates = standIn
            .requestLog()
            .filter((r) => r.route === "POST /api/v2/tasks" || r.route === "POST /api/v2/authorizations");
        assert.strictEqual(creates.length, 5);
        assert.ok(
            creates.some((a) => creates.some((b) => a !== b && b.startMs >= a.startMs && b.startMs < a.endMs)),
            "creates of one level ran one after another",
        );

        standIn.resetCounts();
        const refreshed = await stack.refresh();
        assert.strictEqual(refreshed.filter((s) => s.op === "refresh").length, 9);

        // Each bucket is deleted only after what depends on it: the tasks whose Flux reads or writes it, and the token.
        const bucketNames = new Map(standIn.buckets().map((b) => [b.id, b.name]));
        const taskFlux = new Map(standIn.tasks().map((t) => [t.id, t.flux]));
        standIn.resetCounts();
        await stack.destroy();
        const log = standIn.requestLog();
        const endOf = (prefix: string, keep: (id: string) => boolean) =>
            log
                .filter((r) => r.route.startsWith("DELETE") && r.path.startsWith(prefix))
                .filter((r) => keep(r.path.slice(prefix.length)))
                .map((r) => r.endMs);
        const bucketDeletes = log.filter((r) => r.route === "DELETE /api/v2/buckets/{bucketID}");
        assert.strictEqual(bucketDeletes.length, 3);
        for (const r of bucketDeletes) {
            const name = bucketNames.get(r.path.split("/").pop() ?? "") ?? "";
            const dependents = [
                ...endOf("/api/v2/tasks/", (id) => (taskFlux.get(id) ?? "").includes(`bucket: "${name}"`)),
                ...endOf("/api/v2/authorizations/", () => true),
            ];
            assert.ok(dependents.length >= 2, `${name}: its tasks and the token were deleted`);
            assert.ok(
                dependents.every((end) => r.startMs >= end),
                `bucket ${name} was deleted before a task or token that uses it`,
            );
        }
        assert.strictEqual(standIn.buckets().length, before);
        assert.deepStrictEqual(standIn.tasks(), []);
    });
});
