// The stand-in must answer as influxd 2.7.12 does. One script of requests (every route and error case the providers
// use) is sent to a fresh stand-in and to a fresh influxd, each set up alike; for every step the test compares the
// HTTP status, the InfluxDB error code and the fields the providers read. A difference names the step and both
// answers: fix the stand-in (test/harness/) to answer as the server does, with a comment citing where it does so.
import * as assert from "assert";
import { fluxRuntimeError } from "../../dynamic-providers/client";
import { InfluxStandIn } from "../harness/influx-standin";
import { Influxd, startInfluxd } from "./influxd";
import { findRealTools } from "./tools";

const ORG = "conformance";
const BUCKET = "conformance-raw";
const TOKEN = "conformance-operator-token";
const MISSING_ID = "0000000000000001";
const DAY = 86_400;

interface Target {
    readonly url: string;
    readonly orgId: string;
}

interface Ctx {
    readonly orgId: string;
    readonly ids: Record<string, string>;
    readonly tokens: Record<string, string>;
}

interface Step {
    readonly name: string;
    readonly method: string;
    readonly path: (c: Ctx) => string;
    readonly body?: (c: Ctx) => unknown;
    /** Token to send: the operator's by default, or one made by an earlier step. */
    readonly as?: string;
    /** The fields the providers read, from a successful answer. */
    readonly pick?: (body: Record<string, unknown>) => unknown;
    /** Remember ids/tokens from the answer. */
    readonly keep?: (body: Record<string, unknown>, c: Ctx) => void;
}

const flux = (name: string, extra = "") =>
    `option task = {name: "${name}", every: 1h${extra}}\n\nfrom(bucket: "${BUCKET}")\n    |> range(start: -1h)\n` +
    `    |> to(bucket: "b1")\n`;
const retention = (b: Record<string, unknown>) =>
    (b.retentionRules as { everySeconds: number; shardGroupDurationSeconds?: number }[]).map((r) => [
        r.everySeconds,
        r.shardGroupDurationSeconds,
    ]);
const names = (key: string) => (b: Record<string, unknown>) =>
    ((b[key] as { name?: string; description?: string }[]) ?? []).map((x) => x.name ?? x.description).sort();

const SCRIPT: Step[] = [
    { name: "org by name", method: "GET", path: () => `/api/v2/orgs?org=${ORG}`, pick: names("orgs") },
    { name: "org by unknown name", method: "GET", path: () => `/api/v2/orgs?org=nope` },
    {
        name: "create bucket",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: "b1", retentionRules: [{ type: "expire", everySeconds: DAY }] }),
        pick: (b) => [b.name, retention(b)],
        keep: (b, c) => (c.ids.b1 = b.id as string),
    },
    {
        name: "create the same bucket again",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: "b1", retentionRules: [] }),
    },
    {
        name: "create a bucket with retention under 1h",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: "short", retentionRules: [{ type: "expire", everySeconds: 60 }] }),
    },
    {
        name: "create a bucket named with a leading underscore",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: "_system", retentionRules: [] }),
    },
    {
        // The providers refuse these names in Check (influx-rules.ts bucketNameProblem); the server takes them.
        name: "create a bucket with an empty name",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: "", retentionRules: [] }),
        pick: (b) => ({ name: b.name }),
    },
    {
        name: "create a bucket whose name has surrounding spaces and a tab",
        method: "POST",
        path: () => "/api/v2/buckets",
        body: (c) => ({ orgID: c.orgId, name: " a\tb ", retentionRules: [] }),
        pick: (b) => ({ name: b.name }),
    },
    {
        name: "list buckets by name",
        method: "GET",
        path: (c) => `/api/v2/buckets?orgID=${c.orgId}&name=b1`,
        pick: names("buckets"),
    },
    {
        name: "patch the bucket's retention",
        method: "PATCH",
        path: (c) => `/api/v2/buckets/${c.ids.b1}`,
        body: () => ({ retentionRules: [{ type: "expire", everySeconds: 2 * DAY }] }),
        pick: (b) => retention(b),
    },
    { name: "get a missing bucket", method: "GET", path: () => `/api/v2/buckets/${MISSING_ID}` },
    { name: "delete a missing bucket", method: "DELETE", path: () => `/api/v2/buckets/${MISSING_ID}` },
    {
        name: "create task",
        method: "POST",
        path: () => "/api/v2/tasks",
        body: (c) => ({ orgID: c.orgId, flux: flux("t1"), status: "active" }),
        pick: (b) => [b.name, b.every, b.status, b.flux === flux("t1")],
        keep: (b, c) => (c.ids.t1 = b.id as string),
    },
    {
        name: "create task with invalid flux",
        method: "POST",
        path: () => "/api/v2/tasks",
        body: (c) => ({ orgID: c.orgId, flux: `option task = {name: "bad", every: 1h}\nfrom(` }),
    },
    {
        name: "create task with an offset in days",
        method: "POST",
        path: () => "/api/v2/tasks",
        body: (c) => ({ orgID: c.orgId, flux: flux("t-days", ", offset: 1d") }),
    },
    {
        name: "list tasks by name",
        method: "GET",
        path: (c) => `/api/v2/tasks?orgID=${c.orgId}&name=t1`,
        pick: names("tasks"),
    },
    {
        name: "set the task inactive",
        method: "PATCH",
        path: (c) => `/api/v2/tasks/${c.ids.t1}`,
        body: () => ({ status: "inactive" }),
        pick: (b) => [b.status, b.flux === flux("t1")],
    },
    { name: "get a missing task", method: "GET", path: () => `/api/v2/tasks/${MISSING_ID}` },
    {
        name: "create an authorization on the bucket",
        method: "POST",
        path: () => "/api/v2/authorizations",
        body: (c) => ({
            orgID: c.orgId,
            description: "conformance",
            permissions: [
                { action: "read", resource: { type: "buckets", id: c.ids.b1, orgID: c.orgId } },
                { action: "write", resource: { type: "buckets", id: c.ids.b1, orgID: c.orgId } },
            ],
        }),
        pick: (b) => [b.status, (b.permissions as unknown[]).length, typeof b.token],
        keep: (b, c) => {
            c.ids.auth = b.id as string;
            c.tokens.auth = b.token as string;
        },
    },
    {
        name: "create an authorization for another org's resource",
        method: "POST",
        path: () => "/api/v2/authorizations",
        body: (c) => ({
            orgID: c.orgId,
            permissions: [{ action: "read", resource: { type: "buckets", orgID: MISSING_ID } }],
        }),
    },
    {
        name: "create an authorization with the instance type",
        method: "POST",
        path: () => "/api/v2/authorizations",
        body: (c) => ({ orgID: c.orgId, permissions: [{ action: "read", resource: { type: "instance" } }] }),
    },
    {
        name: "list authorizations",
        method: "GET",
        path: (c) => `/api/v2/authorizations?orgID=${c.orgId}`,
        pick: (b) =>
            (b.authorizations as { description?: string }[]).filter((a) => a.description === "conformance").length,
    },
    {
        name: "the bucket token writes its bucket",
        method: "POST",
        as: "auth",
        path: (c) => `/api/v2/write?orgID=${c.orgId}&bucket=b1&precision=s`,
        body: () => "m v=1i",
    },
    {
        name: "the bucket token may not list tasks",
        method: "GET",
        as: "auth",
        path: (c) => `/api/v2/tasks?orgID=${c.orgId}`,
    },
    {
        name: "switch the token off",
        method: "PATCH",
        path: (c) => `/api/v2/authorizations/${c.ids.auth}`,
        body: () => ({ status: "inactive" }),
        pick: (b) => b.status,
    },
    {
        name: "an inactive token reads one bucket",
        method: "GET",
        as: "auth",
        path: (c) => `/api/v2/buckets/${c.ids.b1}`,
    },
    {
        name: "an inactive token lists buckets",
        method: "GET",
        as: "auth",
        path: (c) => `/api/v2/buckets?orgID=${c.orgId}`,
        pick: names("buckets"),
    },
    { name: "delete the authorization", method: "DELETE", path: (c) => `/api/v2/authorizations/${c.ids.auth}` },
    { name: "delete it again", method: "DELETE", path: (c) => `/api/v2/authorizations/${c.ids.auth}` },
    { name: "delete the task", method: "DELETE", path: (c) => `/api/v2/tasks/${c.ids.t1}` },
    { name: "delete the task again", method: "DELETE", path: (c) => `/api/v2/tasks/${c.ids.t1}` },
    { name: "delete the bucket", method: "DELETE", path: (c) => `/api/v2/buckets/${c.ids.b1}` },
    { name: "a wrong token", method: "GET", as: "wrong", path: (c) => `/api/v2/buckets?orgID=${c.orgId}` },
];

interface Answer {
    status: number;
    code?: string;
    fields?: unknown;
}

async function replay(target: Target): Promise<Record<string, Answer>> {
    const ctx: Ctx = { orgId: target.orgId, ids: {}, tokens: { wrong: "not-a-token" } };
    const answers: Record<string, Answer> = {};
    for (const step of SCRIPT) {
        const body = step.body?.(ctx);
        const res = await fetch(`${target.url}${step.path(ctx)}`, {
            method: step.method,
            headers: {
                authorization: `Token ${step.as ? ctx.tokens[step.as] : TOKEN}`,
                "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
            },
            body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        });
        const text = await res.text();
        let json: Record<string, unknown> = {};
        try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
            json = {};
        }
        const answer: Answer = { status: res.status };
        if (!res.ok && typeof json.code === "string") answer.code = json.code;
        if (res.ok && step.pick) answer.fields = step.pick(json);
        if (res.ok) step.keep?.(json, ctx);
        answers[step.name] = answer;
    }
    return answers;
}

describe("conformance: the stand-in answers as influxd 2.7.12 does", function () {
    this.timeout(120_000);
    let influx: Influxd;
    let standIn: InfluxStandIn;

    before(async function () {
        const found = findRealTools();
        if (!found.tools) throw new Error(`the real tools are not built: run npm run e2e:tools`);
        influx = await startInfluxd({ influxd: found.tools.influxd, org: ORG, bucket: BUCKET, token: TOKEN });
        standIn = await InfluxStandIn.start({ setup: { org: ORG, bucket: BUCKET, token: TOKEN } });
    });

    after(async function () {
        await standIn?.stop();
        await influx?.stop();
    });

    it("a query run for its effects: no content on success, the runtime error on failure (fluxRuntimeError)", async function () {
        const run = async (flux: string) => {
            const res = await fetch(`${influx.url}/api/v2/query?orgID=${influx.orgId}`, {
                method: "POST",
                headers: {
                    authorization: `Token ${TOKEN}`,
                    "content-type": "application/json",
                    prefer: "return-no-content-with-error",
                },
                body: JSON.stringify({ query: flux, type: "flux" }),
            });
            return { status: res.status, body: await res.text() };
        };
        await fetch(`${influx.url}/api/v2/write?orgID=${influx.orgId}&bucket=${BUCKET}&precision=s`, {
            method: "POST",
            headers: { authorization: `Token ${TOKEN}` },
            body: `m v=1i ${Math.floor(Date.now() / 1000) - 60}`,
        });
        const ok = await run(`from(bucket: "${BUCKET}") |> range(start: -1h) |> to(bucket: "${BUCKET}")`);
        assert.strictEqual(ok.status, 200);
        assert.strictEqual(fluxRuntimeError(ok.body), undefined, ok.body);
        const failed = await run(`from(bucket: "${BUCKET}") |> range(start: -1h) |> to(bucket: "nowhere")`);
        assert.strictEqual(failed.status, 200, "the failure arrives inside a 200 answer");
        assert.match(fluxRuntimeError(failed.body) ?? "", /nowhere/, failed.body);
    });

    it("every step: the same status, error code and the fields the providers read", async function () {
        const real = await replay({ url: influx.url, orgId: influx.orgId });
        const stand = await replay({ url: standIn.url, orgId: standIn.orgId! });
        const differences = SCRIPT.map((s) => s.name)
            .filter((name) => JSON.stringify(real[name]) !== JSON.stringify(stand[name]))
            .map((name) => `${name}: influxd ${JSON.stringify(real[name])}, stand-in ${JSON.stringify(stand[name])}`);
        assert.deepStrictEqual(differences, [], `the stand-in differs:\n${differences.join("\n")}`);
    });
});
