// The InfluxDB v2 API stand-in, exercised through plain HTTP, with every exchange checked against the
// official OpenAPI contract.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { extractTaskOptions, rewriteTaskOptions } from "./flux-task-options";
import {
    CONTRACT_EXCEPTIONS,
    DEFAULT_SETUP,
    InfluxStandIn,
    loadContract,
    Permission,
    StandInOptions,
    startTestTarget,
} from "./influx-standin";
import { INFLUXDB_OPENAPI_SPEC_PATH } from "./openapi-contract";
import { describeWithReference } from "./reference-data";

interface Reply<T> {
    readonly status: number;
    readonly headers: Headers;
    readonly body: T;
    readonly text: string;
}

interface ErrorBody {
    code: string;
    message: string;
}

interface Rule {
    type: string;
    everySeconds: number;
    shardGroupDurationSeconds?: number;
}

interface BucketBody {
    id: string;
    orgID: string;
    name: string;
    type: string;
    retentionRules: Rule[];
    createdAt: string;
}

interface TaskBody {
    id: string;
    orgID: string;
    name: string;
    flux: string;
    status: string;
    every?: string;
    cron?: string;
    offset?: string;
    latestCompleted?: string;
    lastRunStatus?: string;
    lastRunError?: string;
}

interface RunBody {
    id: string;
    taskID: string;
    status: string;
}

interface AuthBody {
    id: string;
    token?: string;
    status: string;
    permissions: Permission[];
}

const HEX16 = /^[0-9a-f]{16}$/;

/** A small HTTP client for one stand-in and token. */
class Client {
    constructor(
        readonly url: string,
        private token: string | undefined,
    ) {}

    as(token: string | undefined): Client {
        return new Client(this.url, token);
    }

    async call<T = ErrorBody>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
        const init: RequestInit = { method, headers: { ...this.auth(), ...headers } };
        if (body !== undefined) {
            init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
            (init.headers as Record<string, string>)["Content-Type"] ??= "application/json; charset=utf-8";
        }
        const response = await fetch(`${this.url}${route}`, init);
        const text = await response.text();
        const parsed = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined;
        return { status: response.status, headers: response.headers, body: parsed as T, text } satisfies Reply<T>;
    }

    private auth(): Record<string, string> {
        return this.token ? { Authorization: `Token ${this.token}` } : {};
    }
}

const TASK_FLUX = `// downsample
option task = {name: "downsample_15m", every: 15m, offset: 1m}

from(bucket: "raw")
    |> range(start: -task.every)
    |> aggregateWindow(every: 15m, fn: sum)
    |> to(bucket: "raw_downsampled_15m")
`;

describe("InfluxDB stand-in", function () {
    let influx: InfluxStandIn;
    let api: Client;
    let orgId: string;

    async function restart(options: StandInOptions = {}): Promise<void> {
        await influx?.stop();
        influx = await InfluxStandIn.start(options);
        api = new Client(influx.url, influx.operatorToken);
        orgId = influx.orgId ?? "";
    }

    async function createBucket(name: string, rules: unknown[] = []): Promise<BucketBody> {
        const reply = await api.call<BucketBody>("POST", "/api/v2/buckets", {
            orgID: orgId,
            name,
            retentionRules: rules,
        });
        assert.equal(reply.status, 201, reply.text);
        return reply.body;
    }

    async function createTask(flux = TASK_FLUX): Promise<TaskBody> {
        const reply = await api.call<TaskBody>("POST", "/api/v2/tasks", { orgID: orgId, flux });
        assert.equal(reply.status, 201, reply.text);
        return reply.body;
    }

    async function createToken(permissions: Permission[]): Promise<AuthBody> {
        const reply = await api.call<AuthBody>("POST", "/api/v2/authorizations", { orgID: orgId, permissions });
        assert.equal(reply.status, 201, reply.text);
        return reply.body;
    }

    beforeEach(async () => restart());

    afterEach(async function () {
        const violations = influx.contractViolations();
        await influx.stop();
        if (this.currentTest?.state === "passed") {
            assert.deepEqual(violations, [], "unexpected OpenAPI contract violations");
        }
    });

    describe("system endpoints", () => {
        it("GET /health passes with name, message, checks, version and commit", async () => {
            const reply = await api.as(undefined).call("GET", "/health");
            assert.equal(reply.status, 200);
            assert.deepEqual(reply.body, {
                name: "influxdb",
                message: "ready for queries and writes",
                status: "pass",
                checks: [],
                version: "v2.7.11",
                commit: "fbf3ec2bf8",
            });
        });

        it("GET /ready and GET/HEAD /ping answer without a token", async () => {
            const ready = await api.as(undefined).call<{ status: string; started: string }>("GET", "/ready");
            assert.equal(ready.status, 200);
            assert.equal(ready.body.status, "ready");
            for (const method of ["GET", "HEAD"]) {
                const ping = await api.as(undefined).call(method, "/ping");
                assert.equal(ping.status, 204);
                assert.equal(ping.headers.get("x-influxdb-version"), "v2.7.11");
                assert.equal(ping.headers.get("x-influxdb-build"), "OSS");
            }
        });

        it("answers unknown paths with 404 path not found", async () => {
            const unknown = await api.call("GET", "/api/v2/nothing-here");
            assert.deepEqual([unknown.status, unknown.body], [404, { code: "not found", message: "path not found" }]);
        });

        describeWithReference("operations of the OpenAPI contract", [INFLUXDB_OPENAPI_SPEC_PATH], () => {
            it("answers the contract's operations it does not implement with 501", async () => {
                const dashboards = await api.call("GET", "/api/v2/dashboards");
                assert.equal(dashboards.status, 501);
                assert.equal(dashboards.body.code, "not implemented");
            });
        });
    });

    describe("onboarding", () => {
        it("starts set up by default: setup is not allowed and the operator token works", async () => {
            const setup = await api.as(undefined).call<{ allowed: boolean }>("GET", "/api/v2/setup");
            assert.deepEqual(setup.body, { allowed: false });
            assert.equal(influx.operatorToken, DEFAULT_SETUP.token);
            assert.equal(influx.orgName, DEFAULT_SETUP.org);
            assert.match(orgId, HEX16);
            const again = await api.as(undefined).call("POST", "/api/v2/setup", {
                username: "u",
                password: "password1",
                org: "o",
                bucket: "b",
            });
            assert.deepEqual(again.body, { code: "conflict", message: "onboarding has already been completed" });
            assert.equal(again.status, 422);
        });

        it("can start not set up, then onboards an org, a bucket and an all-access token", async () => {
            await restart({ setup: false });
            const anon = api.as(undefined);
            assert.deepEqual((await anon.call("GET", "/api/v2/setup")).body, { allowed: true });
            assert.equal((await anon.call("GET", "/api/v2/orgs")).status, 401);
            const reply = await anon.call<{
                org: { id: string; name: string };
                bucket: BucketBody;
                auth: AuthBody;
                user: { name: string };
            }>("POST", "/api/v2/setup", {
                username: "admin",
                password: "supersecret",
                org: "acme",
                bucket: "metrics",
                retentionPeriodSeconds: 7 * 86400,
                token: "my-operator-token",
            });
            assert.equal(reply.status, 201, reply.text);
            assert.equal(reply.body.org.name, "acme");
            assert.equal(reply.body.user.name, "admin");
            assert.equal(reply.body.auth.token, "my-operator-token");
            assert.deepEqual(reply.body.bucket.retentionRules, [
                { type: "expire", everySeconds: 604800, shardGroupDurationSeconds: 86400 },
            ]);
            assert.deepEqual((await anon.call("GET", "/api/v2/setup")).body, { allowed: false });
            const orgs = await anon.as("my-operator-token").call<{ orgs: { name: string }[] }>("GET", "/api/v2/orgs");
            assert.deepEqual(
                orgs.body.orgs.map((o) => o.name),
                ["acme"],
            );
        });
    });

    describe("authentication", () => {
        it("refuses a missing or unknown token with 401 unauthorized access", async () => {
            const expected = { code: "unauthorized", message: "unauthorized access" };
            const missing = await api.as(undefined).call("GET", "/api/v2/buckets");
            assert.deepEqual([missing.status, missing.body], [401, expected]);
            const unknown = await api.as("nope").call("GET", "/api/v2/buckets");
            assert.deepEqual([unknown.status, unknown.body], [401, expected]);
        });

        it("an inactive token: listings answer 200 and empty, a single read 401 token is inactive", async () => {
            // As InfluxDB 2.7 (auth.go `PermissionSet`), proved against influxd by test/e2e/conformance.e2e.ts.
            const bucket = await createBucket("seen-by-none");
            const token = await createToken([{ action: "read", resource: { type: "buckets" } }]);
            influx.outOfBand.updateAuthorization(token.id, { status: "inactive" });
            const listed = await api.as(token.token).call<{ buckets: unknown[] }>("GET", "/api/v2/buckets");
            assert.deepEqual([listed.status, listed.body.buckets], [200, []]);
            const one = await api.as(token.token).call("GET", `/api/v2/buckets/${bucket.id}`);
            assert.deepEqual([one.status, one.body], [401, { code: "unauthorized", message: "token is inactive" }]);
        });

        it("accepts Bearer as well as Token", async () => {
            const reply = await api.as(undefined).call("GET", "/api/v2/orgs", undefined, {
                Authorization: `Bearer ${influx.operatorToken}`,
            });
            assert.equal(reply.status, 200);
        });
    });

    describe("organizations", () => {
        it("lists, filters by name or ID, and reads one", async () => {
            const byName = await api.call<{ orgs: { id: string }[] }>("GET", "/api/v2/orgs?org=flagsmith");
            assert.deepEqual(
                byName.body.orgs.map((o) => o.id),
                [orgId],
            );
            const byId = await api.call<{ orgs: { name: string }[] }>("GET", `/api/v2/orgs?orgID=${orgId}`);
            assert.equal(byId.body.orgs[0].name, "flagsmith");
            const one = await api.call<{ id: string; name: string }>("GET", `/api/v2/orgs/${orgId}`);
            assert.deepEqual([one.status, one.body.name], [200, "flagsmith"]);
        });

        it("answers 404 like the server for unknown names and IDs, 400 for malformed IDs", async () => {
            const name = await api.call("GET", "/api/v2/orgs?org=missing");
            assert.deepEqual([name.status, name.body.message], [404, 'organization name "missing" not found']);
            const id = await api.call("GET", "/api/v2/orgs/0123456789abcdef");
            assert.deepEqual([id.status, id.body], [404, { code: "not found", message: "organization not found" }]);
            const bad = await api.call("GET", "/api/v2/orgs/xyz");
            assert.deepEqual([bad.status, bad.body.code], [400, "invalid"]);
        });
    });

    describe("buckets", () => {
        it("creates a bucket with a 16-hex ID and fills in the shard-group duration from the retention", async () => {
            const cases: [number, number][] = [
                [3600, 3600],
                [86400, 3600],
                [30 * 86400, 86400],
                [200 * 86400, 604800],
            ];
            for (const [every, shard] of cases) {
                const bucket = await createBucket(`b${every}`, [{ type: "expire", everySeconds: every }]);
                assert.match(bucket.id, HEX16);
                assert.deepEqual(bucket.retentionRules, [
                    { type: "expire", everySeconds: every, shardGroupDurationSeconds: shard },
                ]);
            }
            const explicit = await createBucket("explicit", [
                { everySeconds: 90 * 86400, shardGroupDurationSeconds: 7200 },
            ]);
            assert.equal(explicit.retentionRules[0].shardGroupDurationSeconds, 7200);
        });

        it("represents infinite retention like 2.7 (everySeconds 0), accepting [] or everySeconds 0", async () => {
            const infinite = [{ type: "expire", everySeconds: 0, shardGroupDurationSeconds: 604800 }];
            assert.deepEqual((await createBucket("none", [])).retentionRules, infinite);
            assert.deepEqual((await createBucket("zero", [{ everySeconds: 0 }])).retentionRules, infinite);
            const noRules = await api.call<BucketBody>("POST", "/api/v2/buckets", { orgID: orgId, name: "omitted" });
            assert.deepEqual(noRules.body.retentionRules, infinite);
            // InfluxDB before shard-group durations were exposed (2.0.0-2.0.4) renders it as [].
            await restart({ server: "2.0" });
            assert.deepEqual((await createBucket("legacy", [])).retentionRules, []);
        });

        it("refuses a duplicate name with 422 conflict", async () => {
            await createBucket("dup");
            const reply = await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "dup" });
            assert.equal(reply.status, 422);
            assert.deepEqual(reply.body, { code: "conflict", message: "bucket with name dup already exists" });
        });

        it("refuses a retention under an hour with the meta store's 500", async () => {
            const reply = await api.call("POST", "/api/v2/buckets", {
                orgID: orgId,
                name: "short",
                retentionRules: [{ type: "expire", everySeconds: 60 }],
            });
            assert.equal(reply.status, 500);
            assert.deepEqual(reply.body, {
                code: "internal error",
                message: "retention policy duration must be at least 1h0m0s",
            });
            assert.ok(!influx.buckets().some((b) => b.name === "short"));
        });

        it("refuses a leading underscore and quotes, and creates an empty name as influxd 2.7.12 does", async () => {
            for (const name of ["_private", 'say"what']) {
                const reply = await api.call("POST", "/api/v2/buckets", { orgID: orgId, name });
                assert.equal(reply.status, 400, name);
                assert.equal(reply.body.code, "invalid");
            }
            const empty = await api.call<BucketBody>("POST", "/api/v2/buckets", { orgID: orgId, name: "" });
            assert.equal(empty.status, 201);
            assert.equal(empty.body.name, "");
        });

        it("lists with the system buckets and filters by org, name, id, limit and offset", async () => {
            const a = await createBucket("a");
            await createBucket("b");
            type List = { buckets: BucketBody[]; links: { self: string; next?: string } };
            const all = await api.call<List>("GET", `/api/v2/buckets?orgID=${orgId}`);
            assert.deepEqual(
                all.body.buckets.map((b) => [b.name, b.type]),
                [
                    ["_monitoring", "system"],
                    ["_tasks", "system"],
                    ["a", "user"],
                    ["b", "user"],
                    ["flagsmith", "user"],
                ],
            );
            const byOrgName = await api.call<List>("GET", "/api/v2/buckets?org=flagsmith&name=a");
            assert.deepEqual(
                byOrgName.body.buckets.map((b) => b.id),
                [a.id],
            );
            const byId = await api.call<List>("GET", `/api/v2/buckets?id=${a.id}`);
            assert.equal(byId.body.buckets[0].name, "a");
            const page = await api.call<List>("GET", `/api/v2/buckets?orgID=${orgId}&limit=2&offset=1`);
            assert.deepEqual(
                page.body.buckets.map((b) => b.name),
                ["_tasks", "a"],
            );
            assert.ok(page.body.links.next?.includes("offset=3"));
            const missing = await api.call("GET", `/api/v2/buckets?orgID=${orgId}&name=nope`);
            assert.deepEqual([missing.status, missing.body.message], [404, 'bucket "nope" not found']);
        });

        it("reads, renames, changes retention (with the shard-group rule) and deletes", async () => {
            const bucket = await createBucket("main", [{ everySeconds: 30 * 86400 }]);
            const read = await api.call<BucketBody>("GET", `/api/v2/buckets/${bucket.id}`);
            assert.deepEqual(read.body, bucket);

            const renamed = await api.call<BucketBody>("PATCH", `/api/v2/buckets/${bucket.id}`, { name: "main2" });
            assert.equal(renamed.body.name, "main2");

            const tooShort = await api.call("PATCH", `/api/v2/buckets/${bucket.id}`, {
                retentionRules: [{ type: "expire", everySeconds: 3600 }],
            });
            assert.equal(tooShort.status, 422);
            assert.match(tooShort.body.message, /shard-group duration must also be updated/);

            const both = await api.call<BucketBody>("PATCH", `/api/v2/buckets/${bucket.id}`, {
                retentionRules: [{ type: "expire", everySeconds: 3600, shardGroupDurationSeconds: 3600 }],
            });
            assert.deepEqual(both.body.retentionRules, [
                { type: "expire", everySeconds: 3600, shardGroupDurationSeconds: 3600 },
            ]);

            const deleted = await api.call("DELETE", `/api/v2/buckets/${bucket.id}`);
            assert.deepEqual([deleted.status, deleted.text], [204, ""]);
            const gone = await api.call("GET", `/api/v2/buckets/${bucket.id}`);
            assert.deepEqual([gone.status, gone.body], [404, { code: "not found", message: "bucket not found" }]);
        });

        it("refuses renaming onto an existing name and deleting system buckets", async () => {
            const a = await createBucket("a");
            await createBucket("b");
            const clash = await api.call("PATCH", `/api/v2/buckets/${a.id}`, { name: "b" });
            assert.deepEqual([clash.status, clash.body.code], [422, "conflict"]);
            const tasks = influx.buckets().find((b) => b.name === "_tasks")!;
            const system = await api.call("DELETE", `/api/v2/buckets/${tasks.id}`);
            assert.deepEqual([system.status, system.body.message], [400, "system buckets cannot be deleted"]);
        });
    });

    describe("tasks", () => {
        it("derives name, every and offset from the option record and stores the script verbatim", async () => {
            const task = await createTask();
            assert.match(task.id, HEX16);
            assert.equal(task.name, "downsample_15m");
            assert.equal(task.every, "15m");
            assert.equal(task.offset, "1m");
            assert.equal(task.cron, undefined);
            assert.equal(task.flux, TASK_FLUX);
            assert.equal(task.status, "active");
            assert.ok(task.latestCompleted);
        });

        it("allows duplicate names and reads cron tasks", async () => {
            const first = await createTask();
            const second = await createTask();
            assert.notEqual(first.id, second.id);
            const cron = await createTask('option task = {name: "nightly", cron: "0 2 * * *"}\nfrom(bucket: "x")');
            assert.deepEqual([cron.cron, cron.every], ["0 2 * * *", undefined]);
            const list = await api.call<{ tasks: TaskBody[] }>("GET", "/api/v2/tasks?name=downsample_15m");
            assert.equal(list.body.tasks.length, 2);
        });

        it("answers 400 for a script without a valid option record", async () => {
            const cases: [string, RegExp][] = [
                ['from(bucket: "x")', /^invalid options: no task options defined$/],
                ['option task = {name: "x", every: 1h, cron: "* * * * *"}', /cannot use both cron and every/],
                ["option task = {every: 1h}", /missing required option: 'name'/],
                ['option task = {name: "x"}', /missing required option: 'cron or every'/],
            ];
            for (const [flux, message] of cases) {
                const reply = await api.call("POST", "/api/v2/tasks", { orgID: orgId, flux });
                assert.equal(reply.status, 400, flux);
                assert.equal(reply.body.code, "invalid");
                assert.match(reply.body.message, message);
            }
        });

        it("answers 500 internal error for an offset a Go duration cannot hold (1d)", async () => {
            const flux = 'option task = {name: "x", every: 1h, offset: 1d}';
            const reply = await api.call("POST", "/api/v2/tasks", { orgID: orgId, flux });
            assert.deepEqual([reply.status, reply.body.code], [500, "internal error"]);
            assert.match(reply.body.message, /unexpected error parsing time.*unknown unit "d"/);
        });

        it("lists with filters: org, name, status, limit and after", async () => {
            const a = await createTask();
            const b = await createTask('option task = {name: "other", every: 1h}\n');
            await api.call("PATCH", `/api/v2/tasks/${b.id}`, { status: "inactive" });
            type List = { tasks: TaskBody[]; links: { next?: string } };
            const active = await api.call<List>("GET", `/api/v2/tasks?orgID=${orgId}&status=active`);
            assert.deepEqual(
                active.body.tasks.map((t) => t.id),
                [a.id],
            );
            const byOrgName = await api.call<List>("GET", "/api/v2/tasks?org=flagsmith&name=other");
            assert.deepEqual(
                byOrgName.body.tasks.map((t) => t.id),
                [b.id],
            );
            const [first, second] = [a.id, b.id].sort();
            const page = await api.call<List>("GET", "/api/v2/tasks?limit=1");
            assert.deepEqual(
                page.body.tasks.map((t) => t.id),
                [first],
            );
            assert.ok(page.body.links.next?.includes(`after=${first}`));
            const after = await api.call<List>("GET", `/api/v2/tasks?after=${first}`);
            assert.deepEqual(
                after.body.tasks.map((t) => t.id),
                [second],
            );
        });

        it("PATCH with a script stores it verbatim and re-derives the options", async () => {
            const task = await createTask();
            const flux = '  option task = {name: "renamed", cron: "*/5 * * * *"} // new\nfrom(bucket: "y")\n';
            const reply = await api.call<TaskBody>("PATCH", `/api/v2/tasks/${task.id}`, { flux });
            assert.equal(reply.status, 200, reply.text);
            assert.deepEqual(
                [reply.body.flux, reply.body.name, reply.body.cron, reply.body.every, reply.body.offset],
                [flux, "renamed", "*/5 * * * *", undefined, undefined],
            );
        });

        it("PATCH with name/every/offset rewrites the option record in the stored script", async () => {
            const task = await createTask();
            const reply = await api.call<TaskBody>("PATCH", `/api/v2/tasks/${task.id}`, {
                name: "hourly",
                every: "1h",
                offset: "5m",
            });
            assert.equal(reply.status, 200, reply.text);
            assert.deepEqual([reply.body.name, reply.body.every, reply.body.offset], ["hourly", "1h", "5m"]);
            assert.equal(
                reply.body.flux,
                TASK_FLUX.replace(
                    '{name: "downsample_15m", every: 15m, offset: 1m}',
                    '{name: "hourly", every: 1h, offset: 5m}',
                ),
            );
            const toCron = await api.call<TaskBody>("PATCH", `/api/v2/tasks/${task.id}`, {
                cron: "0 * * * *",
                offset: "0s",
            });
            assert.deepEqual(
                [toCron.body.cron, toCron.body.every, toCron.body.offset],
                ["0 * * * *", undefined, undefined],
            );
            assert.match(toCron.body.flux, /option task = \{name: "hourly", cron: "0 \* \* \* \*"\}/);
        });

        it("PATCH status and the errors of an empty or contradictory update", async () => {
            const task = await createTask();
            const inactive = await api.call<TaskBody>("PATCH", `/api/v2/tasks/${task.id}`, { status: "inactive" });
            assert.equal(inactive.body.status, "inactive");
            assert.equal(inactive.body.flux, TASK_FLUX);
            const empty = await api.call("PATCH", `/api/v2/tasks/${task.id}`, { description: "only" });
            assert.deepEqual([empty.status, empty.body.message], [400, "cannot update task without content"]);
            const both = await api.call("PATCH", `/api/v2/tasks/${task.id}`, { every: "1h", cron: "* * * * *" });
            assert.equal(both.status, 400);
        });

        it("deletes; a missing task is 404 task not found", async () => {
            const task = await createTask();
            assert.equal((await api.call("DELETE", `/api/v2/tasks/${task.id}`)).status, 204);
            const gone = await api.call("GET", `/api/v2/tasks/${task.id}`);
            assert.deepEqual([gone.status, gone.body], [404, { code: "not found", message: "task not found" }]);
        });

        it("starts manual runs, lists and reads runs, and reads logs", async () => {
            const task = await createTask();
            const run = await api.call<RunBody>("POST", `/api/v2/tasks/${task.id}/runs`, {});
            assert.deepEqual([run.status, run.body.status, run.body.taskID], [201, "scheduled", task.id]);
            const runs = await api.call<{ runs: RunBody[] }>("GET", `/api/v2/tasks/${task.id}/runs`);
            assert.deepEqual(
                runs.body.runs.map((r) => r.id),
                [run.body.id],
            );
            const one = await api.call<RunBody>("GET", `/api/v2/tasks/${task.id}/runs/${run.body.id}`);
            assert.equal(one.body.id, run.body.id);
            const missing = await api.call("GET", `/api/v2/tasks/${task.id}/runs/0123456789abcdef`);
            assert.deepEqual([missing.status, missing.body.message], [404, "run not found"]);
            influx.outOfBand.recordTaskRun(task.id, { status: "success" });
            const logs = await api.call<{ events: { message: string }[] }>("GET", `/api/v2/tasks/${task.id}/logs`);
            assert.ok(logs.body.events.some((e) => e.message === "Completed(success)"));
        });

        it("reports the last run's status and error set through the test hook", async () => {
            const task = await createTask();
            const at = new Date("2030-01-02T03:04:05Z");
            influx.outOfBand.recordTaskRun(task.id, { status: "failed", error: "bucket not found", at });
            const read = await api.call<TaskBody>("GET", `/api/v2/tasks/${task.id}`);
            assert.deepEqual(
                [read.body.lastRunStatus, read.body.lastRunError, read.body.latestCompleted],
                ["failed", "bucket not found", "2030-01-02T03:04:05Z"],
            );
            influx.outOfBand.recordTaskRun(task.id, { status: "success" });
            const after = await api.call<TaskBody>("GET", `/api/v2/tasks/${task.id}`);
            assert.deepEqual([after.body.lastRunStatus, after.body.lastRunError], ["success", undefined]);
        });
    });

    describe("authorizations", () => {
        it("shows the token on create only", async () => {
            const created = await createToken([{ action: "read", resource: { type: "buckets", orgID: orgId } }]);
            assert.ok(created.token && created.token.length > 40);
            assert.match(created.id, HEX16);
            const read = await api.call<AuthBody>("GET", `/api/v2/authorizations/${created.id}`);
            assert.equal(read.status, 200);
            assert.equal(read.body.token, undefined);
            const list = await api.call<{ authorizations: AuthBody[] }>("GET", `/api/v2/authorizations?orgID=${orgId}`);
            assert.ok(list.body.authorizations.length >= 2);
            assert.ok(list.body.authorizations.every((a) => a.token === undefined));
        });

        it("deactivates, reactivates and deletes a token", async () => {
            const token = await createToken([{ action: "read", resource: { type: "orgs" } }]);
            const as = api.as(token.token);
            assert.equal((await as.call("GET", "/api/v2/orgs")).status, 200);
            const off = await api.call<AuthBody>("PATCH", `/api/v2/authorizations/${token.id}`, {
                status: "inactive",
                description: "paused",
            });
            assert.deepEqual([off.status, off.body.status, off.body.token], [200, "inactive", undefined]);
            // Inactive: the listing answers 200 with nothing in it (InfluxDB 2.7), not 401.
            const hidden = await as.call<{ orgs: unknown[] }>("GET", "/api/v2/orgs");
            assert.deepEqual([hidden.status, hidden.body.orgs], [200, []]);
            await api.call("PATCH", `/api/v2/authorizations/${token.id}`, { status: "active" });
            const seen = await as.call<{ orgs: unknown[] }>("GET", "/api/v2/orgs");
            assert.deepEqual([seen.status, seen.body.orgs.length], [200, 1]);
            assert.equal((await api.call("DELETE", `/api/v2/authorizations/${token.id}`)).status, 204);
            assert.equal((await as.call("GET", "/api/v2/orgs")).status, 401);
            const gone = await api.call("GET", `/api/v2/authorizations/${token.id}`);
            assert.deepEqual([gone.status, gone.body.message], [404, "authorization not found"]);
        });

        it("enforces per-permission access for a least-privilege token", async () => {
            const mine = await createBucket("mine");
            const other = await createBucket("other");
            const token = await createToken([
                { action: "read", resource: { type: "buckets", id: mine.id, orgID: orgId } },
                { action: "write", resource: { type: "buckets", id: mine.id, orgID: orgId } },
            ]);
            const limited = api.as(token.token);

            const list = await limited.call<{ buckets: BucketBody[] }>("GET", `/api/v2/buckets?orgID=${orgId}`);
            assert.deepEqual(
                list.body.buckets.map((b) => b.name),
                ["mine"],
            );
            const read = await limited.call("GET", `/api/v2/buckets/${other.id}`);
            assert.deepEqual(
                [read.status, read.body],
                [401, { code: "unauthorized", message: `read:orgs/${orgId}/buckets/${other.id} is unauthorized` }],
            );
            const create = await limited.call("POST", "/api/v2/buckets", { orgID: orgId, name: "new" });
            assert.deepEqual(
                [create.status, create.body.message],
                [401, `write:orgs/${orgId}/buckets is unauthorized`],
            );

            const write = (bucket: string) =>
                limited.call("POST", `/api/v2/write?org=flagsmith&bucket=${bucket}`, "m,t=1 v=1i 1", {
                    "Content-Type": "text/plain; charset=utf-8",
                });
            assert.equal((await write("mine")).status, 204);
            const denied = await write("other");
            assert.deepEqual(
                [denied.status, denied.body],
                [403, { code: "forbidden", message: "insufficient permissions for write" }],
            );
            assert.deepEqual(
                influx.writes().map((w) => w.bucketID),
                [mine.id],
            );
        });

        it("refuses to grant a permission the creating token does not hold", async () => {
            const creator = await createToken([
                { action: "write", resource: { type: "authorizations", orgID: orgId } },
                { action: "read", resource: { type: "buckets", orgID: orgId } },
            ]);
            const reply = await api.as(creator.token).call("POST", "/api/v2/authorizations", {
                orgID: orgId,
                permissions: [{ action: "write", resource: { type: "buckets", orgID: orgId } }],
            });
            assert.equal(reply.status, 403);
            assert.deepEqual(reply.body, {
                code: "forbidden",
                message: `permission write:orgs/${orgId}/buckets is not allowed`,
            });
        });
    });

    describe("write and query", () => {
        it("accepts gzip line protocol, refuses unknown buckets and malformed lines", async () => {
            const gz = zlib.gzipSync("cpu,host=a usage=1 1700000000000000000\ncpu,host=b usage=2");
            const ok = await api.call("POST", "/api/v2/write?org=flagsmith&bucket=flagsmith&precision=ns", gz, {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Encoding": "gzip",
            });
            assert.equal(ok.status, 204, ok.text);
            assert.equal(influx.writes()[0].lines.length, 2);
            const missing = await api.call("POST", "/api/v2/write?org=flagsmith&bucket=nope", "m v=1", {
                "Content-Type": "text/plain",
            });
            assert.deepEqual([missing.status, missing.body.message], [404, 'bucket "nope" not found']);
            const bad = await api.call("POST", "/api/v2/write?org=flagsmith&bucket=flagsmith", "garbage", {
                "Content-Type": "text/plain",
            });
            assert.deepEqual([bad.status, bad.body.code], [400, "invalid"]);
        });

        it("answers queries with an empty CSV, and 404 for buckets the token cannot read", async () => {
            const query = (token: string | undefined, bucket: string) =>
                api.as(token).call("POST", "/api/v2/query?org=flagsmith", {
                    query: `from(bucket: "${bucket}") |> range(start: -1h)`,
                    type: "flux",
                });
            const ok = await query(influx.operatorToken, "flagsmith");
            assert.deepEqual([ok.status, ok.headers.get("content-type")], [200, "text/csv; charset=utf-8"]);
            const token = await createToken([{ action: "read", resource: { type: "orgs" } }]);
            const hidden = await query(token.token, "flagsmith");
            assert.deepEqual(
                [hidden.status, hidden.body.message],
                [404, 'failed to initialize execute state: could not find bucket "flagsmith"'],
            );
        });
    });

    describe("contract validation", () => {
        describeWithReference("against the InfluxDB OpenAPI contract", [INFLUXDB_OPENAPI_SPEC_PATH], () => {
            it("every route the stand-in serves is an operation of the OpenAPI contract", async () => {
                const contract = await loadContract();
                assert.ok(InfluxStandIn.routes().length >= 25);
                for (const route of InfluxStandIn.routes()) {
                    const operation = contract.operationForRoute(route);
                    assert.ok(operation, `${route} is not in the spec`);
                    const [method, routePath] = route.split(" ");
                    assert.equal(operation.method, method);
                    assert.equal(`${operation.base}${operation.specPath}`, routePath);
                }
            });

            it("catches a response with a wrong type, records it and fails the exchange loudly", async () => {
                influx.corruptResponse("POST /api/v2/buckets", (body) => ({ ...(body as object), createdAt: 42 }));
                const reply = await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "corrupt" });
                assert.equal(reply.status, 500);
                assert.equal(reply.headers.get("x-stand-in-contract-violation"), "response");
                assert.match(reply.body.message, /violates the InfluxDB OpenAPI contract.*\/createdAt: must be string/);
                const [violation] = influx.contractViolations();
                assert.equal(violation.direction, "response");
                assert.equal(violation.operationId, "PostBuckets");
                assert.equal(violation.status, 201);
                assert.deepEqual(
                    violation.errors.map((e) => e.instancePath),
                    ["/createdAt"],
                );
                assert.throws(() => influx.assertNoContractViolations(), /1 OpenAPI contract violation/);
                influx.clearContractViolations();
            });

            it("catches a wrong array type and a bad date-time even when not failing loudly", async () => {
                await restart({ failOnResponseViolation: false });
                const bucket = await createBucket("x");
                influx.corruptResponse(`GET /api/v2/buckets/{bucketID}`, (body) => ({
                    ...(body as object),
                    retentionRules: "x",
                    updatedAt: "yesterday",
                }));
                const reply = await api.call<BucketBody>("GET", `/api/v2/buckets/${bucket.id}`);
                assert.equal(reply.status, 200);
                assert.deepEqual(
                    influx
                        .contractViolations()[0]
                        .errors.map((e) => [e.instancePath, e.keyword])
                        .sort(),
                    [
                        ["/retentionRules", "type"],
                        ["/updatedAt", "format"],
                    ],
                );
                influx.clearContractViolations();
            });

            it("reports malformed requests as request violations and answers 400 like the server", async () => {
                const noOrg = await api.call("POST", "/api/v2/buckets", { name: "x" });
                assert.deepEqual([noOrg.status, noOrg.body.code], [400, "invalid"]);
                const wrongType = await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: 42 });
                assert.equal(wrongType.status, 400);
                const typo = await api.call("GET", `/api/v2/buckets?orgId=${orgId}`);
                assert.equal(typo.status, 400);
                const violations = influx.contractViolations();
                assert.deepEqual(
                    violations.map((v) => [v.direction, v.operationId]),
                    [
                        ["request", "PostBuckets"],
                        ["request", "PostBuckets"],
                        ["request", "GetBuckets"],
                    ],
                );
                assert.deepEqual(violations[0].errors[0].params, { missingProperty: "orgID" });
                assert.equal(violations[1].errors[0].instancePath, "/requestBody/name");
                assert.equal(violations[2].errors[0].params.additionalProperty, "orgId");
                assert.equal(influx.buckets().filter((b) => b.type === "user").length, 1);
                influx.clearContractViolations();
            });
        });

        it("documents its exceptions to the contract", () => {
            assert.deepEqual(
                CONTRACT_EXCEPTIONS.map((e) => e.id),
                ["ping-version-header", "query-csv-media-type", "accept-encoding", "org-or-orgid", "uri-reference"],
            );
        });

        it("applies readOnly/required to responses only and ignores nullable without type", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mini-spec-"));
            const specPath = path.join(dir, "spec.yml");
            fs.writeFileSync(specPath, MINI_SPEC);
            const contract = await loadContract(specPath);
            const matched = contract.match("POST", "/api/v2/things");
            assert.ok(matched && matched !== "method");
            const request = (body: unknown) =>
                contract.validateRequest(matched.operation, {
                    method: "POST",
                    path: "/api/v2/things",
                    query: "",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify(body),
                });
            const response = (body: unknown) =>
                contract.validateResponse(matched.operation, {
                    status: 201,
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify(body),
                });
            assert.deepEqual(request({ name: "n" }), []);
            assert.deepEqual(
                request({ name: "n", extra: null }).map((e) => [e.instancePath, e.keyword]),
                [["/requestBody/extra", "type"]],
            );
            assert.deepEqual(
                response({ name: "n" }).map((e) => e.params),
                [{ missingProperty: "id" }],
            );
            assert.deepEqual(response({ id: "1", name: "n", extra: 5 }), []);
            assert.deepEqual(
                request({ id: "1" }).map((e) => e.params),
                [{ missingProperty: "name" }],
            );
            fs.rmSync(dir, { recursive: true });
        });
    });

    describe("fault injection", () => {
        describeWithReference("shaped by the OpenAPI contract", [INFLUXDB_OPENAPI_SPEC_PATH], () => {
            it("injects 503 and 429 with Retry-After, shaped by what the operation declares", async () => {
                influx.setFaults({ retryAfterSeconds: 7 });
                influx.injectFault("GET /api/v2/buckets", "503");
                const unavailable = await api.call("GET", "/api/v2/buckets");
                assert.deepEqual([unavailable.status, unavailable.headers.get("retry-after")], [503, "7"]);
                assert.equal(unavailable.body.code, "unavailable");
                influx.injectFault("POST /api/v2/write", "429");
                const limited = await api.call("POST", "/api/v2/write?org=flagsmith&bucket=flagsmith", "m v=1", {
                    "Content-Type": "text/plain",
                });
                assert.deepEqual([limited.status, limited.text, limited.headers.get("retry-after")], [429, "", "7"]);
                assert.equal((await api.call("GET", "/api/v2/buckets")).status, 200);
                // GET /api/v2/setup declares neither 503 nor a default: the fault stands for the infrastructure
                influx.injectFault("GET /api/v2/setup", "503");
                assert.equal((await api.call("GET", "/api/v2/setup")).status, 503);
            });
        });

        it("resets connections, stalls and adds latency", async () => {
            influx.injectFault("GET /api/v2/orgs", "reset");
            await assert.rejects(api.call("GET", "/api/v2/orgs"));
            influx.setFaults({ stallMs: 150 });
            influx.injectFault("GET /api/v2/orgs", "stall");
            let started = Date.now();
            assert.equal((await api.call("GET", "/api/v2/orgs")).status, 200);
            assert.ok(Date.now() - started >= 140);
            influx.setFaults({ latencyMs: 100 });
            started = Date.now();
            await api.call("GET", "/api/v2/orgs");
            assert.ok(Date.now() - started >= 90);
        });

        it("draws random failures from a seed, repeatably", async () => {
            const statuses = async (seed: number) => {
                await restart({ faults: { failureRate: 0.5, kinds: ["503", "429"], seed } });
                const out: number[] = [];
                for (let i = 0; i < 12; i++) {
                    out.push((await api.call("GET", "/health")).status);
                }
                return out;
            };
            const first = await statuses(42);
            assert.deepEqual(await statuses(42), first);
            assert.ok(first.includes(200) && first.some((s) => s !== 200), String(first));
        });

        it("applies a create, then drops the answer", async () => {
            influx.dropResponseAfterApply("POST /api/v2/buckets");
            await assert.rejects(api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "lost-answer" }));
            assert.ok(influx.buckets().some((b) => b.name === "lost-answer"));
            assert.equal((await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "kept" })).status, 201);
        });

        it("goes down (connections refused) and comes back up on the same port", async () => {
            const port = influx.port;
            await influx.down();
            await assert.rejects(fetch(`${influx.url}/health`));
            await influx.up();
            assert.equal(influx.port, port);
            assert.equal((await api.call("GET", "/health")).status, 200);
        });

        it("counts requests per route, faulted ones included", async () => {
            influx.injectFault("POST /api/v2/buckets", "503");
            await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "one" });
            await api.call("POST", "/api/v2/buckets", { orgID: orgId, name: "one" });
            await api.call("GET", `/api/v2/buckets/${influx.buckets()[0].id}`);
            assert.equal(influx.requestCounts()["POST /api/v2/buckets"], 2);
            assert.equal(influx.requestCounts()["GET /api/v2/buckets/{bucketID}"], 1);
            influx.resetCounts();
            assert.deepEqual(influx.requestCounts(), {});
        });
    });

    describe("changes made outside Pulumi", () => {
        it("deletes a bucket, edits a task's flux and revokes a token", async () => {
            const bucket = await createBucket("doomed");
            influx.outOfBand.deleteBucket(bucket.id);
            assert.equal((await api.call("GET", `/api/v2/buckets/${bucket.id}`)).status, 404);

            const task = await createTask();
            influx.outOfBand.editTaskFlux(task.id, 'option task = {name: "edited", every: 2h}\n');
            const edited = await api.call<TaskBody>("GET", `/api/v2/tasks/${task.id}`);
            assert.deepEqual([edited.body.name, edited.body.every], ["edited", "2h"]);

            const token = await createToken([{ action: "read", resource: { type: "orgs" } }]);
            influx.outOfBand.revokeAuthorization(token.id);
            assert.equal((await api.as(token.token).call("GET", "/api/v2/orgs")).status, 401);
        });

        it("exposes copies of the state", async () => {
            await createBucket("seen");
            const buckets = influx.buckets();
            buckets[0].name = "changed by the test";
            assert.ok(!influx.buckets().some((b) => b.name === "changed by the test"));
            assert.equal(influx.orgs()[0].id, orgId);
            assert.ok(influx.authorizations().some((a) => a.token === DEFAULT_SETUP.token));
            assert.deepEqual(influx.tasks(), []);
        });
    });

    describe("test targets", () => {
        const saved = { ...process.env };
        afterEach(() => {
            for (const key of ["INFLUXDB_TEST_URL", "INFLUXDB_TEST_TOKEN", "INFLUXDB_TEST_ORG"]) {
                if (saved[key] === undefined) {
                    delete process.env[key];
                } else {
                    process.env[key] = saved[key];
                }
            }
        });

        it("starts a stand-in when no real server is configured", async () => {
            delete process.env.INFLUXDB_TEST_URL;
            const target = await startTestTarget();
            try {
                assert.ok(target.standIn);
                assert.equal(target.token, DEFAULT_SETUP.token);
                assert.equal(target.orgName, "flagsmith");
                assert.match(target.orgId, HEX16);
            } finally {
                await target.stop();
            }
        });

        it("uses the configured server and resolves the org ID through the API", async () => {
            process.env.INFLUXDB_TEST_URL = `${influx.url}/`;
            process.env.INFLUXDB_TEST_TOKEN = influx.operatorToken;
            process.env.INFLUXDB_TEST_ORG = "flagsmith";
            const target = await startTestTarget();
            assert.equal(target.standIn, undefined);
            assert.deepEqual([target.url, target.orgId, target.orgName], [influx.url, orgId, "flagsmith"]);
            await target.stop();
        });
    });
});

describe("Flux task option record", () => {
    it("finds the top-level record past comments, strings and regexes", () => {
        const flux = [
            '// option task = {name: "commented", every: 1m}',
            'x = "option task = {name: \\"in a string\\"}"',
            "f = (r) => r.host =~ /option task = {/",
            'option task = {name: "real \\"one\\"", every: 1h30m, offset: -5m, concurrency: 2, retry: 3}',
            'data = from(bucket: "b") |> filter(fn: (r) => r._value > 0)',
        ].join("\n");
        assert.deepEqual(extractTaskOptions(flux), {
            name: 'real "one"',
            every: "1h30m",
            offset: "-5m",
            concurrency: 2,
            retry: 3,
        });
    });

    it("refuses duplicated and non-literal records", () => {
        assert.throws(
            () => extractTaskOptions('option task = {name: "a", every: 1h}\noption task = {name: "b", every: 1h}'),
            /multiple task options defined/,
        );
        assert.throws(() => extractTaskOptions("option task = opts"), /expected to be object literal/);
        assert.throws(() => extractTaskOptions("option task = {name: n, every: 1h}"), /failed to parse field 'name'/);
        assert.throws(() => extractTaskOptions('option task = {name: "a", every: 0s}'), /at least 1 second/);
    });

    it("rewrites only the record, keeping unknown properties and the rest of the script", () => {
        const flux = 'import "x"\noption task = {name: "a", every: 1h, concurrency: 2}\nfrom(bucket: "b")';
        assert.equal(
            rewriteTaskOptions(flux, { name: 'b "quoted"', offset: "10m" }),
            'import "x"\noption task = {name: "b \\"quoted\\"", every: 1h, concurrency: 2, offset: 10m}\nfrom(bucket: "b")',
        );
        assert.equal(rewriteTaskOptions(flux, {}), flux);
    });
});

const MINI_SPEC = `
openapi: 3.0.0
info: { title: mini, version: "1" }
servers: [{ url: /api/v2 }]
paths:
  /things:
    post:
      operationId: PostThings
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Thing" }
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
components:
  schemas:
    Thing:
      type: object
      required: [id, name]
      properties:
        id: { type: string, readOnly: true }
        name: { type: string }
        extra:
          nullable: true
          allOf: [{ type: integer }]
`;
