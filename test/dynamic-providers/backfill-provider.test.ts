// The optional one-off backfill: generated queries, the Backfill provider through the real host against the stand-in,
// and the program's wiring (after the tasks, only for generated active tasks, once).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { defaultDownsamplingTasks, renderBackfillFlux, renderDownsamplingFlux } from "../../components/downsampling";
import { Backfill } from "../../dynamic-providers/backfill";
import { analyzeFlux } from "../../dynamic-providers/flux/analyzer";
import { captureDynamicResources, CheckFailedError, Engine, ProviderHost, Props } from "../harness/provider-host";
import { InfluxStandIn, startTestTarget, TestTarget } from "../harness/influx-standin";
import { runProgram } from "../harness/mocks";
import { programMocks, TYPES } from "../harness/program-mocks";

const BACKFILL = "pulumi-nodejs:dynamic/influxdb:Backfill";

describe("backfill", function () {
    this.timeout(120_000);

    describe("query generation", function () {
        for (const spec of defaultDownsamplingTasks("default")) {
            it(`runs "${spec.name}" over the completed windows of the range, with the task's pipeline`, async function () {
                const query = renderBackfillFlux(spec, "14d");
                assert.ok(!query.includes("option task"));
                // Whole windows only, aligned to the task's schedule: the window in progress is the task's to write,
                // so no partial sum lands beside the task's full one (which Flagsmith would add up).
                const every = spec.every;
                assert.ok(
                    query.includes(
                        ` |> range(start: date.truncate(t: -14d, unit: ${every}), stop: date.truncate(t: now(), unit: ${every}))`,
                    ),
                    query,
                );
                assert.ok(query.startsWith('import "date"\n'));
                const task = renderDownsamplingFlux(spec);
                const body = (s: string) => s.slice(s.indexOf("|> filter"));
                assert.strictEqual(body(query), body(task), "same filters, aggregation and destination as the task");
                assert.deepStrictEqual(
                    (await analyzeFlux(query)).filter((d) => d.severity === "error"),
                    [],
                );
            });
        }
    });

    describe("provider through the host", function () {
        let target: TestTarget;
        let standIn: InfluxStandIn | undefined;
        let host: ProviderHost;
        let base: Props;
        const query = renderBackfillFlux(defaultDownsamplingTasks("default")[0], "14d");
        before(async function () {
            // The raw bucket the query reads exists from first-boot setup, as on Docker.
            target = await startTestTarget({ setup: { bucket: "default" } });
            standIn = target.standIn;
            const [captured] = await captureDynamicResources(() => {
                new Backfill("bf", {
                    connection: { url: target.url, token: pulumi.secret(target.token) },
                    orgId: target.orgId,
                    flux: query,
                });
            });
            base = captured.inputs;
            host = await ProviderHost.start();
        });
        after(async () => {
            await host?.stop();
            await target?.stop();
        });

        it("runs the query once, not again on a no-op up, and again when the range changes", async function () {
            if (!standIn) this.skip();
            const engine = new Engine(host);
            standIn.resetCounts();
            const first = await engine.up("urn:bf", base);
            assert.strictEqual(first.op, "create");
            assert.strictEqual(standIn.requestCounts()["POST /api/v2/query"], 1);
            assert.strictEqual((await engine.up("urn:bf", base)).op, "same");
            assert.strictEqual(standIn.requestCounts()["POST /api/v2/query"], 1);
            const wider = await engine.up("urn:bf", { ...base, flux: query.replace("-14d", "-30d") });
            assert.strictEqual(wider.op, "replace");
            assert.strictEqual(standIn.requestCounts()["POST /api/v2/query"], 2);
            await engine.destroy("urn:bf");
            standIn.assertNoContractViolations();
        });

        it("rejects a query the Flux analyzer rejects, before any request", async function () {
            standIn?.resetCounts();
            const err = await new Engine(host)
                .preview("urn:bad", { ...base, flux: query.replace("aggregateWindow", "aggregateWindw") })
                .catch((e: unknown) => e);
            assert.ok(err instanceof CheckFailedError);
            assert.match(err.failures[0].reason, /undefined identifier aggregateWindw/);
            assert.deepStrictEqual(standIn?.requestCounts() ?? {}, {});
        });
    });

    describe("in the program", function () {
        const program = () => (require("../../index") as () => Promise<Record<string, unknown>>)();
        it("is off by default", async function () {
            const r = await runProgram(program, { config: { platform: "docker" }, mocks: programMocks() });
            assert.deepStrictEqual(r.byType(BACKFILL), []);
        });

        it("backfills each generated active task once, after that task, over the raw retention by default", async function () {
            const r = await runProgram(program, {
                config: {
                    platform: "docker",
                    backfill: { enabled: true },
                    tasks: { overrides: { "Downsample API 1h": { status: "inactive" } } },
                },
                mocks: programMocks(),
            });
            const backfills = r.byType(BACKFILL);
            assert.strictEqual(backfills.length, 3);
            for (const b of backfills) {
                assert.match(String(b.inputs.flux), /range\(start: date.truncate\(t: -1209600s, unit: (15m|1h)\)/);
                const task = r.byType(TYPES.task).find((t) => b.name.endsWith(t.name.replace("analytics-task-", "")))!;
                assert.ok(task, b.name);
                assert.ok(b.dependencies.includes(task.urn), `${b.name} after ${task.name}`);
            }
            assert.ok(!backfills.some((b) => b.name.includes("downsample-api-1h") && !b.name.includes("flag")));
        });

        it("rejects a bad backfill range naming the setting", async function () {
            await assert.rejects(
                runProgram(program, {
                    config: { platform: "docker", backfill: { enabled: true, range: "soon" } },
                    mocks: programMocks(),
                }),
                /backfill.range: "soon" is not a duration/,
            );
        });
    });
});
