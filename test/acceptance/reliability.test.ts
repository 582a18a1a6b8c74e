// Reliability of the analytics resources: the InfluxAnalytics component run as a live stack (its dynamic
// resources forwarded to the real provider host) against the InfluxDB stand-in, under transient faults, an outage
// longer than the deadline, drift made outside Pulumi and teardown; plus the token's least privilege, and stack
// ownership / protection of the whole program under plain mocks.
import * as assert from "assert";
import {
    analyticsBucketNames,
    AnalyticsRetention,
    DEFAULT_RETENTION,
    InfluxAnalytics,
    planTasks,
    TaskOverride,
} from "../../components/analytics";
import { renderDownsamplingFlux } from "../../components/downsampling";
import { ConnectionArgs } from "../../dynamic-providers/connection";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";
import { FakeServer, LiveRun, LiveStack, LiveStackError, opsByName, standInInflux, Step } from "../harness/live-engine";
import { MockRun, resolveOutput, runProgram } from "../harness/mocks";
import { programMocks, TYPES } from "../harness/program-mocks";
import { ProviderHost } from "../harness/provider-host";

type Timeouts = Pick<ConnectionArgs, "readyTimeoutSeconds" | "operationTimeoutSeconds" | "requestTimeoutSeconds">;

/** What a test stack declares. */
interface Spec {
    readonly bucket: string;
    readonly retention?: Partial<AnalyticsRetention>;
    readonly overrides?: Readonly<Record<string, TaskOverride>>;
    /** A FakeServer owns everything (Docker/Kubernetes case); otherwise an external server. */
    readonly server?: boolean;
    readonly timeouts?: Timeouts;
}

/** Generous deadlines, but a stalled request is given up after 1 s and retried. */
const FAULT_TIMEOUTS: Timeouts = { readyTimeoutSeconds: 30, operationTimeoutSeconds: 30, requestTimeoutSeconds: 1 };
const DAY = 86_400;

function analyticsProgram(standIn: InfluxStandIn, spec: Spec) {
    return () => {
        const influx = standInInflux(standInTarget(standIn), { server: spec.server, timeouts: spec.timeouts });
        const analytics = new InfluxAnalytics("analytics", {
            influx,
            bucket: spec.bucket,
            retention: spec.retention,
            tasks: planTasks(spec.bucket, { overrides: spec.overrides }),
            timeouts: spec.timeouts,
        });
        return { analytics };
    };
}
type Program = ReturnType<typeof analyticsProgram>;
type Run = LiveRun<ReturnType<Program>>;

async function envToken(run: Run): Promise<string> {
    const token = await resolveOutput(run.run.result.analytics.env.INFLUXDB_TOKEN);
    assert.ok(token.known && token.secret, "INFLUXDB_TOKEN is a known secret");
    return token.value!;
}

/** IDs present in the stand-in, to tell what a stack made. */
interface Snapshot {
    readonly buckets: Set<string>;
    readonly tasks: Set<string>;
    readonly authorizations: Set<string>;
}
const snapshot = (s: InfluxStandIn): Snapshot => ({
    buckets: new Set(s.buckets().map((b) => b.id)),
    tasks: new Set(s.tasks().map((t) => t.id)),
    authorizations: new Set(s.authorizations().map((a) => a.id)),
});

/** Everything in the stand-in that was not there at `before`, with permissions written by bucket name. */
function madeSince(s: InfluxStandIn, before: Snapshot) {
    const bucketName = (id: string | undefined) => s.buckets().find((b) => b.id === id)?.name ?? `<missing ${id}>`;
    return {
        buckets: s
            .buckets()
            .filter((b) => !before.buckets.has(b.id))
            .sort((a, b) => a.name.localeCompare(b.name)),
        tasks: s
            .tasks()
            .filter((t) => !before.tasks.has(t.id))
            .sort((a, b) => a.name.localeCompare(b.name)),
        tokens: s
            .authorizations()
            .filter((a) => !before.authorizations.has(a.id))
            .map((a) => ({
                ...a,
                grants: a.permissions
                    .map((p) => {
                        const org = p.resource.orgID === s.orgId ? "org" : String(p.resource.orgID);
                        return `${p.action} ${p.resource.type} ${bucketName(p.resource.id)} in ${org}`;
                    })
                    .sort(),
            })),
    };
}

/**
 * The stand-in holds exactly what `spec` declares, made since `before`: the three buckets with their retentions, the
 * tasks with their flux, and one Flagsmith token with exactly write+read on the raw bucket and read on the other two,
 * whose value is the env's INFLUXDB_TOKEN. Any duplicate or leftover fails.
 */
function assertExactly(s: InfluxStandIn, before: Snapshot, spec: Spec, token: string): void {
    const made = madeSince(s, before);
    const names = analyticsBucketNames(spec.bucket);
    const retention = { ...DEFAULT_RETENTION, ...spec.retention };
    assert.deepStrictEqual(
        made.buckets.map((b) => [b.name, b.retentionSeconds, b.orgID]),
        [
            [names.raw, retention.rawSeconds, s.orgId],
            [names.downsampled15m, retention.downsampled15mSeconds, s.orgId],
            [names.downsampled1h, retention.downsampled1hSeconds, s.orgId],
        ],
        "buckets",
    );
    const tasks = planTasks(spec.bucket, { overrides: spec.overrides })
        .map((t) => [t.name, renderDownsamplingFlux(t), t.status ?? "active"])
        .sort((a, b) => a[0].localeCompare(b[0]));
    assert.deepStrictEqual(
        made.tasks.map((t) => [t.name, t.flux, t.status]),
        tasks,
        "tasks",
    );
    assert.deepStrictEqual(
        made.tokens.map((t) => t.grants),
        [
            [
                `read buckets ${names.downsampled15m} in org`,
                `read buckets ${names.downsampled1h} in org`,
                `read buckets ${names.raw} in org`,
                `write buckets ${names.raw} in org`,
            ].sort(),
        ],
        "exactly one Flagsmith token, with exactly these permissions",
    );
    assert.strictEqual(made.tokens[0].token, token, "the env's INFLUXDB_TOKEN is the token in InfluxDB");
    assert.strictEqual(made.tokens[0].status, "active");
}

const total = (s: InfluxStandIn) => Object.values(s.requestCounts()).reduce((a, b) => a + b, 0);
const failedSteps = (steps: readonly Step[]) => steps.filter((x) => x.op === "failed");

/** Calls the stand-in's API with a token; answers status and body. */
async function call(
    s: InfluxStandIn,
    token: string,
    method: string,
    path: string,
    body?: unknown,
): Promise<{ status: number; body: string }> {
    const text = typeof body === "string";
    const res = await fetch(`${s.url}${path}`, {
        method,
        headers: {
            Authorization: `Token ${token}`,
            ...(body === undefined ? {} : { "Content-Type": text ? "text/plain; charset=utf-8" : "application/json" }),
        },
        body: body === undefined ? undefined : text ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
}

describe("reliability of the analytics resources against the InfluxDB stand-in (live engine)", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    const standIns: InfluxStandIn[] = [];
    /** A fresh stand-in per test: exact counts, and outages that touch no other test. */
    const freshStandIn = async (options: { clockSkewMs?: number } = {}) => {
        const s = await InfluxStandIn.start(options);
        standIns.push(s);
        return s;
    };

    before(async () => {
        host = await ProviderHost.start();
    });
    afterEach(async () => {
        for (const s of standIns.splice(0)) {
            s.clearFaults();
            s.assertNoContractViolations();
            await s.stop();
        }
    });
    after(async () => host?.stop());

    describe("transient faults", function () {
        it("creates, then updates, to exactly the declared state with ~30% of requests failing (503, 429, resets, 2 s stalls)", async function () {
            // A fault-free run of the same program on another server: the reference request count.
            const reference = await freshStandIn();
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            await new LiveStack(host, { stack: "reference" }).up(analyticsProgram(reference, spec));
            const faultFreeRequests = total(reference);

            const s = await freshStandIn();
            const before = snapshot(s);
            const stack = new LiveStack(host, { stack: "faults" });
            s.setFaults({
                failureRate: 0.3,
                kinds: ["503", "429", "reset", "stall"],
                stallMs: 2000,
                retryAfterSeconds: 1,
                seed: 7,
            });
            // And one create of each kind is applied by the server, but its answer is lost.
            for (const route of ["POST /api/v2/buckets", "POST /api/v2/tasks", "POST /api/v2/authorizations"]) {
                s.dropResponseAfterApply(route);
            }
            const created = await stack.up(analyticsProgram(s, spec));
            assert.deepStrictEqual(
                created.steps.map((x) => x.op),
                Array(9).fill("create"),
                "org lookup, 3 buckets, 4 tasks, token",
            );
            assertExactly(s, before, spec, await envToken(created));
            assert.ok(
                total(s) >= faultFreeRequests + 5,
                `faults were injected and retried: ${total(s)} requests vs ${faultFreeRequests} without faults`,
            );
            const ids = madeSince(s, before);

            // A later update under the same faults: a retention and a task window change, in place.
            const updated: Spec = {
                ...spec,
                retention: { downsampled15mSeconds: 200 * DAY },
                overrides: { "Downsample API 1h": { every: "2h" } },
            };
            const beforeUpdate = total(s);
            // Besides the random faults, each PATCH meets at least one for sure.
            s.injectFault("PATCH /api/v2/buckets/{bucketID}", "503");
            s.injectFault("PATCH /api/v2/tasks/{taskID}", "reset");
            const update = await stack.up(analyticsProgram(s, updated));
            assert.ok(total(s) - beforeUpdate > 2, "the two PATCHes met faults too");
            const ops = opsByName(update.steps);
            assert.deepStrictEqual(
                Object.entries(ops).filter(([, op]) => op !== "same"),
                [
                    ["analytics-15m", "update"],
                    ["analytics-task-downsample-api-1h", "update"],
                ],
            );
            assertExactly(s, before, updated, await envToken(update));
            const after = madeSince(s, before);
            assert.deepStrictEqual(
                [after.buckets.map((b) => b.id), after.tasks.map((t) => t.id), after.tokens.map((t) => t.id)],
                [ids.buckets.map((b) => b.id), ids.tasks.map((t) => t.id), ids.tokens.map((t) => t.id)],
                "updated in place: same IDs",
            );
        });

        it("finds the bucket, task and token whose create answers were lost instead of duplicating them", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "lost", timeouts: FAULT_TIMEOUTS };
            for (const route of ["POST /api/v2/buckets", "POST /api/v2/tasks", "POST /api/v2/authorizations"]) {
                s.dropResponseAfterApply(route);
            }
            // The task and token creates also stall past the 1 s request timeout before being applied: a client that
            // gave up on them and retried would find nothing yet, create again, and leave the late one behind.
            s.setFaults({ stallMs: 1500 });
            s.injectFault("POST /api/v2/tasks", "stall");
            s.injectFault("POST /api/v2/authorizations", "stall");
            // And a bucket create is reset before the server applied it: the lookup finds nothing (InfluxDB answers
            // 404 to a name filter that matches nothing) and the create is sent again.
            s.injectFault("POST /api/v2/buckets", "reset");
            const run = await new LiveStack(host, { stack: "lost" }).up(analyticsProgram(s, spec));
            assertExactly(s, before, spec, await envToken(run));
            const counts = s.requestCounts();
            // A lost bucket or task is found and used: never posted again. A lost token cannot be read back (its
            // value is only in the create answer): it is deleted and made again.
            assert.strictEqual(counts["POST /api/v2/buckets"], 4, "3 + the one reset before it was applied");
            assert.strictEqual(counts["GET /api/v2/buckets"], 2, "a lookup after the reset and after the lost answer");
            assert.strictEqual(counts["POST /api/v2/tasks"], 4);
            assert.strictEqual(counts["POST /api/v2/authorizations"], 2);
            assert.strictEqual(counts["DELETE /api/v2/authorizations/{authID}"], 1);
        });
    });

    describe("a server clock behind this machine's", function () {
        for (const minutes of [5, 14]) {
            it(`recognises lost creates with the server's clock ${minutes} minutes behind: no duplicate task or orphan token`, async function () {
                const s = await freshStandIn({ clockSkewMs: -minutes * 60_000 });
                const before = snapshot(s);
                const spec: Spec = { bucket: "skewed", timeouts: FAULT_TIMEOUTS };
                for (const route of ["POST /api/v2/tasks", "POST /api/v2/authorizations"]) {
                    s.dropResponseAfterApply(route);
                }
                const run = await new LiveStack(host, { stack: "skewed" }).up(analyticsProgram(s, spec));
                assertExactly(s, before, spec, await envToken(run));
                assert.strictEqual(
                    s.requestCounts()["POST /api/v2/tasks"],
                    4,
                    "the lost task was found, not posted again",
                );
            });
        }
    });

    describe("server down for longer than the deadline", function () {
        const DEADLINE = { readyTimeoutSeconds: 2, operationTimeoutSeconds: 2, requestTimeoutSeconds: 1 };
        const MARGIN_MS = 1500;

        it("a first up fails within the readiness deadline naming the operation and the URL; after up() it converges", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "default", timeouts: DEADLINE };
            const stack = new LiveStack(host, { stack: "down-first" });
            await s.down();
            const started = Date.now();
            const err = await stack.up(analyticsProgram(s, spec)).catch((e: unknown) => e);
            const elapsed = Date.now() - started;
            assert.ok(err instanceof LiveStackError, String(err));
            const [failed, ...more] = failedSteps(err.steps);
            assert.strictEqual(more.length, 0, "nothing else is attempted once the org lookup failed");
            assert.strictEqual(failed.name, "influxdb-org");
            assert.ok(failed.ms <= DEADLINE.readyTimeoutSeconds * 1000 + MARGIN_MS, `failed after ${failed.ms} ms`);
            assert.ok(elapsed <= DEADLINE.readyTimeoutSeconds * 1000 + 2 * MARGIN_MS, `up took ${elapsed} ms`);
            assert.match(failed.detail!, /look up organization "flagsmith"/);
            assert.doesNotMatch(failed.detail!, /\/health/, "no separate health check: the lookup itself waits");
            assert.ok(failed.detail!.includes(`cannot reach InfluxDB at ${s.url}`), failed.detail);
            assert.match(failed.detail!, /ECONNREFUSED/);
            assert.match(err.message, /look up organization "flagsmith"/);

            await s.up();
            const run = await stack.up(analyticsProgram(s, spec));
            assertExactly(s, before, spec, await envToken(run));
        });

        it("an update fails within the operation deadline; after up() the next run converges, nothing lost or duplicated", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "default", timeouts: DEADLINE };
            const stack = new LiveStack(host, { stack: "down-later" });
            const created = await stack.up(analyticsProgram(s, spec));
            const token = await envToken(created);
            const ids = madeSince(s, before);

            const changed: Spec = {
                ...spec,
                retention: { downsampled15mSeconds: 365 * DAY },
                overrides: { "Downsample (API Requests)": { every: "30m" } },
            };
            await s.down();
            const started = Date.now();
            const err = await stack.up(analyticsProgram(s, changed)).catch((e: unknown) => e);
            const elapsed = Date.now() - started;
            assert.ok(err instanceof LiveStackError, String(err));
            const failed = failedSteps(err.steps);
            assert.deepStrictEqual(
                failed.map((f) => f.name),
                ["analytics-15m"],
                "the bucket update fails; what depends on it is not attempted",
            );
            assert.ok(failed[0].ms <= DEADLINE.operationTimeoutSeconds * 1000 + MARGIN_MS, `${failed[0].ms} ms`);
            assert.ok(elapsed <= DEADLINE.operationTimeoutSeconds * 1000 + 2 * MARGIN_MS, `up took ${elapsed} ms`);
            assert.match(failed[0].detail!, /update bucket "default_downsampled_15m" failed/);
            assert.match(failed[0].detail!, /gave up after \d+ attempt\(s\)/);
            assert.ok(failed[0].detail!.includes(`cannot reach InfluxDB at ${s.url}`), failed[0].detail);

            await s.up();
            const run = await stack.up(analyticsProgram(s, changed));
            const ops = opsByName(run.steps);
            assert.strictEqual(ops["analytics-15m"], "update");
            assert.strictEqual(ops["analytics-task-downsample-api-requests"], "update");
            assert.strictEqual(ops["analytics-flagsmith-token"], "same");
            assertExactly(s, before, changed, token);
            const after = madeSince(s, before);
            assert.deepStrictEqual(
                [after.buckets.map((b) => b.id), after.tasks.map((t) => t.id)],
                [ids.buckets.map((b) => b.id), ids.tasks.map((t) => t.id)],
            );
        });
    });

    describe("least privilege", function () {
        it("the Flagsmith token writes the raw bucket and reads the three, and can do nothing else", async function () {
            const s = await freshStandIn();
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            const run = await new LiveStack(host, { stack: "least" }).up(analyticsProgram(s, spec));
            const token = await envToken(run);
            const names = analyticsBucketNames(spec.bucket);
            const org = encodeURIComponent(s.orgName!);
            const write = (bucket: string) =>
                call(s, token, "POST", `/api/v2/write?org=${org}&bucket=${bucket}&precision=s`, "api_call count=1i 1");
            const query = (bucket: string) =>
                call(s, token, "POST", `/api/v2/query?org=${org}`, {
                    query: `from(bucket: "${bucket}") |> range(start: -1h)`,
                });

            assert.strictEqual((await write(names.raw)).status, 204);
            assert.strictEqual(s.writes().length, 1);
            for (const bucket of Object.values(names)) {
                assert.strictEqual((await query(bucket)).status, 200, `query ${bucket}`);
            }
            const listed = JSON.parse((await call(s, token, "GET", `/api/v2/buckets?orgID=${s.orgId}`)).body) as {
                buckets: { name: string }[];
            };
            assert.deepStrictEqual(listed.buckets.map((b) => b.name).sort(), Object.values(names).sort());

            for (const bucket of [names.downsampled15m, names.downsampled1h, "flagsmith"]) {
                const res = await write(bucket);
                assert.strictEqual(res.status, 403, `write ${bucket}: ${res.body}`);
                assert.match(res.body, /insufficient permissions for write/);
            }
            assert.strictEqual(s.writes().length, 1, "nothing else was written");
            const other = await query("flagsmith");
            assert.strictEqual(other.status, 404, other.body);
            assert.match((JSON.parse(other.body) as { message: string }).message, /could not find bucket "flagsmith"/);
            const otherId = s.buckets().find((b) => b.name === "flagsmith")!.id;
            assert.strictEqual((await call(s, token, "GET", `/api/v2/buckets/${otherId}`)).status, 401);

            const bucketsBefore = s.buckets().length;
            const create = await call(s, token, "POST", "/api/v2/buckets", { orgID: s.orgId, name: "sneaky" });
            assert.strictEqual(create.status, 401, create.body);
            assert.strictEqual(s.buckets().length, bucketsBefore);

            const tasks = await call(s, token, "GET", `/api/v2/tasks?orgID=${s.orgId}`);
            assert.strictEqual(tasks.status, 200);
            assert.strictEqual(s.tasks().length, 4);
            assert.deepStrictEqual((JSON.parse(tasks.body) as { tasks: unknown[] }).tasks, [], "sees no task");
            const flux = 'option task = {name: "evil", every: 1h}\n\nfrom(bucket: "default") |> range(start: -1h)\n';
            const newTask = await call(s, token, "POST", "/api/v2/tasks", { orgID: s.orgId, flux });
            assert.strictEqual(newTask.status, 401, newTask.body);
            const taskId = s.tasks()[0].id;
            const patch = await call(s, token, "PATCH", `/api/v2/tasks/${taskId}`, { status: "inactive" });
            assert.strictEqual(patch.status, 401, patch.body);
            assert.strictEqual(s.tasks().length, 4);
            assert.ok(s.tasks().every((t) => t.status === "active"));

            const mint = await call(s, token, "POST", "/api/v2/authorizations", {
                orgID: s.orgId,
                permissions: [{ action: "write", resource: { type: "buckets", orgID: s.orgId } }],
            });
            assert.strictEqual(mint.status, 401, `cannot mint a broader token: ${mint.body}`);
        });
    });

    describe("previews", function () {
        it("a no-op preview plans nothing; a retention change plans exactly one bucket update, the token unchanged", async function () {
            const s = await freshStandIn();
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            const stack = new LiveStack(host, { stack: "preview" });
            await stack.up(analyticsProgram(s, spec));
            s.resetCounts();
            const noop = opsByName((await stack.preview(analyticsProgram(s, spec))).steps);
            assert.ok(
                Object.values(noop).every((op) => op === "same"),
                JSON.stringify(noop),
            );
            const changed: Spec = { ...spec, retention: { downsampled15mSeconds: 200 * DAY } };
            const plan = opsByName((await stack.preview(analyticsProgram(s, changed))).steps);
            const changes = Object.entries(plan).filter(([, op]) => op !== "same");
            assert.deepStrictEqual(changes, [["analytics-15m", "update"]], "only the bucket changes, not the token");
            assert.deepStrictEqual(s.requestCounts(), {}, "previews make no request");
            const run = opsByName((await stack.up(analyticsProgram(s, changed))).steps);
            assert.deepStrictEqual(
                Object.entries(run).filter(([, op]) => op !== "same"),
                changes,
                "the up does what the preview said",
            );
        });
    });

    describe("drift made outside Pulumi", function () {
        it("a bucket and a task deleted outside are recreated by the next up after refresh; the token follows the new bucket", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            const stack = new LiveStack(host, { stack: "drift-delete" });
            const first = await stack.up(analyticsProgram(s, spec));
            const oldToken = await envToken(first);
            const b15 = s.buckets().find((b) => b.name === "default_downsampled_15m")!;
            const task = s.tasks().find((t) => t.name === "Downsample API 1h")!;
            s.outOfBand.deleteBucket(b15.id);
            s.outOfBand.deleteTask(task.id);

            const refreshed = opsByName(await stack.refresh());
            assert.strictEqual(refreshed["analytics-15m"], "refresh-gone");
            assert.strictEqual(refreshed["analytics-task-downsample-api-1h"], "refresh-gone");
            assert.strictEqual(refreshed["analytics-raw"], "refresh");
            const preview = opsByName((await stack.preview(analyticsProgram(s, spec))).steps);
            assert.strictEqual(preview["analytics-15m"], "create");
            assert.strictEqual(preview["analytics-task-downsample-api-1h"], "create");
            assert.strictEqual(madeSince(s, before).buckets.length, 2, "the preview changed nothing");

            const run = await stack.up(analyticsProgram(s, spec));
            const ops = opsByName(run.steps);
            assert.strictEqual(ops["analytics-15m"], "create");
            assert.strictEqual(ops["analytics-task-downsample-api-1h"], "create");
            assert.strictEqual(ops["analytics-flagsmith-token"], "replace", "a new bucket ID: new permissions");
            const newToken = await envToken(run);
            assertExactly(s, before, spec, newToken);
            assert.notStrictEqual(newToken, oldToken);
            assert.ok(!s.authorizations().some((a) => a.token === oldToken), "the old token is deleted");
        });

        it("a task edited in the UI is put back in place", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            const stack = new LiveStack(host, { stack: "drift-edit" });
            const first = await stack.up(analyticsProgram(s, spec));
            const task = s.tasks().find((t) => t.name === "Downsample (Flag Evaluations)")!;
            const edited = task.flux.replace("every: 15m", "every: 5m");
            assert.notStrictEqual(edited, task.flux);
            s.outOfBand.editTaskFlux(task.id, edited);
            s.outOfBand.updateTask(task.id, { status: "inactive" });

            // Without a refresh the state still says it is as declared: nothing to do.
            assert.strictEqual(
                opsByName((await stack.up(analyticsProgram(s, spec))).steps)[
                    "analytics-task-downsample-flag-evaluations"
                ],
                "same",
            );
            await stack.refresh();
            const run = await stack.up(analyticsProgram(s, spec));
            assert.strictEqual(opsByName(run.steps)["analytics-task-downsample-flag-evaluations"], "update");
            const back = s.tasks().find((t) => t.id === task.id)!;
            assert.strictEqual(back.flux, task.flux);
            assert.strictEqual(back.status, "active");
            assert.strictEqual(back.every, "15m");
            assertExactly(s, before, spec, await envToken(first));
        });

        it("a token revoked outside is replaced and the Flagsmith env gets the new one", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const spec: Spec = { bucket: "default", timeouts: FAULT_TIMEOUTS };
            const stack = new LiveStack(host, { stack: "drift-revoke" });
            const first = await stack.up(analyticsProgram(s, spec));
            const oldToken = await envToken(first);
            const auth = s.authorizations().find((a) => a.token === oldToken)!;
            s.outOfBand.revokeAuthorization(auth.id);
            const write = (token: string) =>
                call(s, token, "POST", `/api/v2/write?org=${s.orgName}&bucket=default`, "api_call count=1i");
            assert.strictEqual((await write(oldToken)).status, 401);

            assert.strictEqual(opsByName(await stack.refresh())["analytics-flagsmith-token"], "refresh-gone");
            const run = await stack.up(analyticsProgram(s, spec));
            assert.strictEqual(opsByName(run.steps)["analytics-flagsmith-token"], "create");
            const newToken = await envToken(run);
            assert.notStrictEqual(newToken, oldToken);
            assertExactly(s, before, spec, newToken);
            assert.strictEqual((await write(newToken)).status, 204);
        });
    });

    describe("teardown", function () {
        it("destroy completes with the server already gone when everything is deletedWith the server; twice is fine", async function () {
            const s = await freshStandIn();
            const deleted: string[] = [];
            const stack = new LiveStack(host, { stack: "docker-like", onDelete: (r) => void deleted.push(r.type) });
            const spec: Spec = { bucket: "default", server: true, timeouts: FAULT_TIMEOUTS };
            await stack.up(analyticsProgram(s, spec));
            const dynamic = stack.state().filter((r) => r.dynamic);
            assert.strictEqual(dynamic.length, 9);
            const server = stack.state().find((r) => r.type === FakeServer.TYPE)!;
            assert.ok(dynamic.every((r) => r.deletedWith === server.urn));

            await s.down();
            const rpcs = stack.engine.log.length;
            const started = Date.now();
            const steps = await stack.destroy();
            assert.ok(Date.now() - started < 1000, "no retries against the gone server");
            assert.deepStrictEqual(
                stack.engine.log.slice(rpcs).map((c) => c.method),
                [],
                "no provider call at all",
            );
            assert.deepStrictEqual(
                steps.filter((x) => x.op === "delete").map((x) => x.type),
                [FakeServer.TYPE],
            );
            assert.deepStrictEqual(deleted, [FakeServer.TYPE]);
            assert.strictEqual(steps.filter((x) => x.op === "delete-skipped").length, 9);
            assert.strictEqual(steps[steps.length - 1].type, FakeServer.TYPE, "the server goes last");
            assert.deepStrictEqual(stack.state(), []);
            assert.deepStrictEqual(await stack.destroy(), [], "destroying again is a no-op");
        });

        it("an external server cannot be skipped: destroy fails within the deadline while it is down, then completes", async function () {
            const s = await freshStandIn();
            const before = snapshot(s);
            const timeouts = { readyTimeoutSeconds: 2, operationTimeoutSeconds: 2, requestTimeoutSeconds: 1 };
            const stack = new LiveStack(host, { stack: "external" });
            await stack.up(analyticsProgram(s, { bucket: "default", timeouts }));
            await s.down();
            const err = await stack.destroy().catch((e: unknown) => e);
            assert.ok(err instanceof LiveStackError, String(err));
            const [failed] = failedSteps(err.steps);
            assert.match(
                failed.detail!,
                /gave up after .*; last error: delete (task|token) "[^"]+".* failed: cannot reach InfluxDB/,
                "dependents of the buckets go first",
            );
            assert.ok(failed.ms <= 2000 + 1500, `${failed.ms} ms`);
            assert.strictEqual(stack.state().filter((r) => r.dynamic).length, 9, "nothing was dropped");

            await s.up();
            await stack.destroy();
            assert.deepStrictEqual(madeSince(s, before), { buckets: [], tasks: [], tokens: [] });
            assert.deepStrictEqual(stack.state(), []);
        });

        it("destroying a per-PR stack on a shared live server removes all it made and nothing of another stack", async function () {
            const s = await freshStandIn();
            const start = snapshot(s);
            const pr1 = new LiveStack(host, { stack: "pr-1" });
            const pr2 = new LiveStack(host, { stack: "pr-2" });
            const spec1: Spec = { bucket: "pr1", timeouts: FAULT_TIMEOUTS };
            const spec2: Spec = { bucket: "pr2", timeouts: FAULT_TIMEOUTS };
            await pr1.up(analyticsProgram(s, spec1));
            const afterPr1 = snapshot(s);
            const run2 = await pr2.up(analyticsProgram(s, spec2));

            // Something is already gone, a delete answer is lost (the retry gets a 404), and requests fail at random.
            s.outOfBand.deleteTask(s.tasks().find((t) => t.flux.includes('"pr1_downsampled_1h"'))!.id);
            s.dropResponseAfterApply("DELETE /api/v2/buckets/{bucketID}");
            s.setFaults({ failureRate: 0.2, kinds: ["503", "reset"], retryAfterSeconds: 1, seed: 3 });
            const steps = await pr1.destroy();
            s.clearFaults();
            assert.strictEqual(
                steps.filter((x) => x.op === "delete").length,
                9,
                "org lookup, 3 buckets, 4 tasks, token",
            );
            const types = steps.map((x) => x.type.split(":").pop());
            const lastDependent = Math.max(types.lastIndexOf("Task"), types.lastIndexOf("Authorization"));
            assert.ok(types.indexOf("Bucket") > lastDependent, `tasks and token before buckets: ${types.join(", ")}`);
            assert.deepStrictEqual(madeSince(s, start), madeSince(s, afterPr1), "nothing of pr-1 is left");
            assertExactly(s, afterPr1, spec2, await envToken(run2));
            assert.deepStrictEqual(await pr1.destroy(), []);

            await pr2.destroy();
            assert.deepStrictEqual(madeSince(s, start), { buckets: [], tasks: [], tokens: [] });
        });
    });

    describe("ownership and protection of the whole program (index.ts under plain mocks)", function () {
        const program = (): Promise<Record<string, unknown>> =>
            (require("../../index") as () => Promise<Record<string, unknown>>)();
        const run = (config: Record<string, unknown>) =>
            runProgram(program, { config, stack: "pr-7", mocks: programMocks() });
        const chainToStack = (r: MockRun<unknown>, urn: string): boolean => {
            const seen = new Set<string>();
            let at: string | undefined = urn;
            while (at !== undefined && at !== r.stackUrn && !seen.has(at)) {
                seen.add(at);
                at = r.resources.find((x) => x.urn === at)?.parent;
            }
            return at === r.stackUrn;
        };

        for (const platform of ["docker", "kubernetes"]) {
            it(`${platform}: every resource is owned by the stack; none is protected or retained by default`, async function () {
                const r = await run({ platform });
                assert.ok(r.resources.length > 15, `${r.resources.length} resources`);
                const orphans = r.resources.filter((x) => !chainToStack(r, x.urn)).map((x) => x.urn);
                assert.deepStrictEqual(orphans, [], "resources not parented (transitively) to the stack");
                assert.deepStrictEqual(
                    r.resources.filter((x) => x.options.protect).map((x) => x.name),
                    [],
                );
                assert.deepStrictEqual(
                    r.resources.filter((x) => x.options.retainOnDelete).map((x) => x.name),
                    [],
                );
                // Everything inside InfluxDB goes with the server (one delete), so destroy works without it.
                const inside = [TYPES.organization, TYPES.bucket, TYPES.task, TYPES.authorization].flatMap((t) =>
                    r.byType(t),
                );
                assert.strictEqual(inside.length, 9);
                const servers = new Set(inside.map((x) => x.options.deletedWith));
                assert.strictEqual(servers.size, 1);
                const server = r.get([...servers][0]!);
                assert.strictEqual(server.type, platform === "docker" ? TYPES.volume : TYPES.release);
            });
        }

        it("influxdb.protectData: true protects what holds the data, and nothing else", async function () {
            const docker = await run({ platform: "docker", influxdb: { protectData: true } });
            const dockerProtected = docker.resources.filter((x) => x.options.protect);
            assert.ok(
                dockerProtected.some((x) => x.type === TYPES.volume && /data/.test(x.name)),
                "the data volume is protected",
            );
            assert.deepStrictEqual(
                dockerProtected.map((x) => x.type).sort(),
                [TYPES.randomPassword, TYPES.randomPassword, TYPES.volume, TYPES.volume].sort(),
            );
            assert.ok(dockerProtected.every((x) => x.name.startsWith("influxdb")));
            const k8s = await run({ platform: "kubernetes", influxdb: { protectData: true } });
            assert.deepStrictEqual(
                k8s.resources
                    .filter((x) => x.options.protect && (x.type === TYPES.release || x.type === TYPES.namespace))
                    .map((x) => x.name)
                    .sort(),
                ["influxdb", "influxdb-namespace"],
            );
            assert.ok(k8s.resources.filter((x) => x.options.protect).every((x) => x.name.startsWith("influxdb")));
        });

        it("flagsmith.protectData: true protects Flagsmith's Postgres data volume on Docker", async function () {
            const r = await run({ platform: "docker", flagsmith: { protectData: true } });
            assert.deepStrictEqual(
                r.resources.filter((x) => x.options.protect).map((x) => x.name),
                ["flagsmith-postgres-data"],
            );
        });
    });
});
