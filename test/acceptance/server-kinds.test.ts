// Servers other than InfluxDB 2.7 as the external platform: InfluxDB 2.0.0–2.0.4 (infinite retention only as an empty
// rule list, no shard-group durations) and InfluxDB Cloud's Free plan (its own shard groups, 2 buckets, 5 tasks),
// through the real dynamic-provider host against the stand-in answering as each (influx-server-kinds.ts).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RETENTION } from "../../components/analytics";
import { cloudPlanWarnings } from "../../components/settings/stack";
import { Bucket } from "../../dynamic-providers/bucket";
import { classifyError } from "../../dynamic-providers/retry";
import { Task } from "../../dynamic-providers/task";
import { captureDynamicResources, Engine, ProviderHost, Props } from "../harness/provider-host";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";
import { ServerKind } from "../harness/influx-server-kinds";

const TYPE = "pulumi-nodejs:dynamic/influxdb:";
const urnOf = (type: string, name: string) => `urn:pulumi:test::flagsmith-influxdb::${TYPE}${type}::${name}`;
const flux = (name: string) =>
    `option task = {name: "${name}", every: 1h}\n\nfrom(bucket: "src")\n    |> range(start: -task.every)\n    |> to(bucket: "dst")\n`;

describe("servers other than InfluxDB 2.7, through the provider host", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    before(async () => {
        host = await ProviderHost.start();
    });
    after(async () => host?.stop());

    /** A stand-in answering as `server`, and the serialized Bucket and Task inputs pointed at it. */
    async function serverOf(server: ServerKind) {
        const standIn = await InfluxStandIn.start({ server });
        const target = standInTarget(standIn);
        const connection = { url: target.url, token: pulumi.secret(target.token), operationTimeoutSeconds: 30 };
        const base: Record<string, Props> = {};
        for (const c of await captureDynamicResources(() => {
            new Bucket("b", { connection, orgId: target.orgId, name: "x" });
            new Task("t", { connection, orgId: target.orgId, flux: flux("x") });
        })) {
            base[c.type.slice(TYPE.length)] = c.inputs;
        }
        return {
            standIn,
            bucket: (f: Props) => ({ ...base.Bucket, ...f }),
            task: (f: Props) => ({ ...base.Task, ...f }),
        };
    }

    describe("InfluxDB 2.0.0–2.0.4", function () {
        let s: Awaited<ReturnType<typeof serverOf>>;
        before(async () => {
            s = await serverOf("2.0");
        });
        after(async () => s?.standIn.stop());
        afterEach(() => s.standIn.assertNoContractViolations());

        it("creates an infinite bucket (sent again as an empty rule list) and makes a finite one infinite", async function () {
            const engine = new Engine(host);
            const urn = urnOf("Bucket", "old-infinite");
            s.standIn.resetCounts();
            const created = await engine.up(urn, s.bucket({ name: "old-infinite" }));
            assert.strictEqual(created.state.outputs.retentionSeconds, 0);
            // The 2.7 form first (refused with 422 by 2.0.4), then the empty list: one bucket, no error.
            assert.strictEqual(s.standIn.requestCounts()["POST /api/v2/buckets"], 2);
            assert.strictEqual(s.standIn.buckets().filter((b) => b.name === "old-infinite").length, 1);
            assert.strictEqual((await engine.up(urn, s.bucket({ name: "old-infinite" }))).op, "same");

            const finite = await engine.up(urn, s.bucket({ name: "old-infinite", retentionSeconds: 7200 }));
            assert.strictEqual(finite.state.outputs.retentionSeconds, 7200);
            const back = await engine.up(urn, s.bucket({ name: "old-infinite", retentionSeconds: 0 }));
            assert.strictEqual(back.op, "update");
            assert.strictEqual(back.state.outputs.retentionSeconds, 0);
            assert.strictEqual(s.standIn.buckets().find((b) => b.name === "old-infinite")?.retentionSeconds, 0);
            await engine.destroy(urn);
        });

        it("a shard-group duration the server does not keep is not shown as a change on every preview", async function () {
            const engine = new Engine(host);
            const urn = urnOf("Bucket", "old-sgd");
            const inputs = s.bucket({ name: "old-sgd", retentionSeconds: 7 * 86400, shardGroupDurationSeconds: 3600 });
            const created = await engine.up(urn, inputs);
            assert.strictEqual(created.state.outputs.shardGroupIgnored, true);
            assert.strictEqual(await engine.preview(urn, inputs), "same");
            await engine.refresh(urn);
            assert.strictEqual(await engine.preview(urn, inputs), "same");
            // Other changes still apply.
            assert.strictEqual((await engine.up(urn, { ...inputs, description: "d" })).op, "update");
            await engine.destroy(urn);
        });
    });

    describe("InfluxDB Cloud, Free plan", function () {
        let s: Awaited<ReturnType<typeof serverOf>>;
        before(async () => {
            s = await serverOf("cloud-free");
        });
        after(async () => s?.standIn.stop());
        afterEach(() => s.standIn.assertNoContractViolations());

        it("keeps no perpetual diff for the shard-group duration Cloud chooses itself", async function () {
            const engine = new Engine(host);
            const urn = urnOf("Bucket", "cloud-sgd");
            const inputs = s.bucket({
                name: "cloud-sgd",
                retentionSeconds: 7 * 86400,
                shardGroupDurationSeconds: 3600,
            });
            const created = await engine.up(urn, inputs);
            assert.strictEqual(created.state.outputs.shardGroupIgnored, true);
            assert.strictEqual(created.state.outputs.shardGroupDurationSeconds, 86400);
            assert.strictEqual(await engine.preview(urn, inputs), "same");
            await engine.destroy(urn);
        });

        it("a create beyond the plan's quota fails at once with the quota and the way out, not retried", async function () {
            const engine = new Engine(host);
            // The setup bucket is one of the two.
            await engine.up(urnOf("Bucket", "q1"), s.bucket({ name: "q1" }));
            s.standIn.resetCounts();
            const started = Date.now();
            await assert.rejects(
                engine.up(urnOf("Bucket", "q2"), s.bucket({ name: "q2" })),
                /create bucket "q2" failed: HTTP 403 forbidden: creating bucket would exceed quota\. .*3 buckets and 4 tasks.*Usage-Based plan/,
            );
            assert.strictEqual(s.standIn.requestCounts()["POST /api/v2/buckets"], 1);
            assert.ok(Date.now() - started < 10_000, "the quota is reported without waiting out the retries");
            for (let i = 0; i < 5; i++) {
                await engine.up(urnOf("Task", `t${i}`), s.task({ flux: flux(`t${i}`) }));
            }
            await assert.rejects(
                engine.up(urnOf("Task", "t5"), s.task({ flux: flux("t5") })),
                /create task "t5" failed: HTTP 403 forbidden: creating task would exceed quota\. /,
            );
        });
    });
});

describe("servers other than InfluxDB 2.7: pure rules", function () {
    it("a quota refusal is never retried, even as 429 (a rate limit is)", function () {
        const quota = {
            statusCode: 429,
            body: '{"code":"too many requests","message":"creating task would exceed quota"}',
        };
        assert.strictEqual(classifyError(quota).retryable, false);
        const rate = { statusCode: 429, body: '{"code":"too many requests","message":"rate limit exceeded"}' };
        assert.strictEqual(classifyError(rate).retryable, true);
    });

    it("the preview says what a Cloud Free plan cannot hold, for Cloud URLs only", function () {
        const external = (url: string) =>
            ({ platform: "external", url, org: "o", bucket: "b", token: "t" }) as Parameters<
                typeof cloudPlanWarnings
            >[0];
        const [warning] = cloudPlanWarnings(
            external("https://us-east-1-1.aws.cloud2.influxdata.com"),
            DEFAULT_RETENTION,
        );
        assert.match(
            warning,
            /InfluxDB Cloud \(us-east-1-1\.aws\.cloud2\.influxdata\.com\): this stack needs 3 buckets and 4 tasks/,
        );
        assert.match(warning, /retention\.downsampled15m 190d, retention\.downsampled1h infinite/);
        assert.match(warning, /would exceed quota.*Usage-Based plan/);
        assert.deepStrictEqual(cloudPlanWarnings(external("http://influxdb.monitoring:8086"), DEFAULT_RETENTION), []);
        assert.deepStrictEqual(
            cloudPlanWarnings(external("https://evilcloud2.influxdata.com.example"), DEFAULT_RETENTION),
            [],
        );
    });
});
