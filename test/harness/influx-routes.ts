// The stand-in's route handlers, keyed by `METHOD /path/{template}` exactly as the OpenAPI contract names them.
// Permission checks follow InfluxDB 2.7's authorizer package: a token lacking a permission on a resource it reads,
// changes or creates gets 401 `<action>:<resource> is unauthorized`; listings silently leave out what the token
// cannot read; writing without write permission on an existing bucket is 403 "insufficient permissions for write";
// granting a permission the creating token does not hold is 403 `permission <p> is not allowed`.
import type { IncomingHttpHeaders } from "node:http";
import {
    ApiError,
    AuthorizationState,
    BucketState,
    describeNeeded,
    goTime,
    invalid,
    isAllowed,
    isId,
    notFound,
    OSS_RESOURCE_TYPES,
    parseId,
    Permission,
    permissionToNeeded,
    requirePermission,
    TaskState,
    UNAUTHORIZED_ACCESS,
} from "./influx-model";
import { checkQuota, quotaBuckets, RuleInput, ruleFor, ServerKind } from "./influx-server-kinds";
import type { InfluxState, TaskChanges } from "./influx-state";
import { Json, pagingLinks, Views } from "./influx-views";

/** Facts about the running server that /health, /ready and /ping report. */
export interface ServerFacts {
    /** The server answered as (influx-server-kinds.ts). */
    readonly kind: ServerKind;
    readonly version: string;
    readonly commit: string;
    readonly startedAt: Date;
}

export interface RouteContext {
    /** Path parameters. */
    readonly params: Readonly<Record<string, string>>;
    readonly query: URLSearchParams;
    readonly headers: IncomingHttpHeaders;
    /** The JSON body, parsed; undefined when there is none or it is not JSON. */
    readonly body: unknown;
    /** The body as text (decompressed). */
    readonly text: string;
    /** The calling token; set for every route with `auth: true`. */
    readonly auth: AuthorizationState | undefined;
    readonly state: InfluxState;
    readonly views: Views;
    readonly facts: ServerFacts;
}

export interface RouteReply {
    readonly status: number;
    /** A JSON body. */
    readonly json?: unknown;
    /** A text body, sent with `contentType`. */
    readonly text?: string;
    readonly contentType?: string;
    readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
    /** Whether the route needs an `Authorization: Token ...` header. */
    readonly auth: boolean;
    readonly handle: (ctx: RouteContext) => RouteReply;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

function fields(ctx: RouteContext): Record<string, unknown> {
    const body = ctx.body;
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function optString(obj: Record<string, unknown>, key: string): string | undefined {
    return typeof obj[key] === "string" ? (obj[key] as string) : undefined;
}

function optNumber(obj: Record<string, unknown>, key: string): number | undefined {
    return typeof obj[key] === "number" ? (obj[key] as number) : undefined;
}

function caller(ctx: RouteContext): AuthorizationState {
    if (!ctx.auth) {
        throw UNAUTHORIZED_ACCESS();
    }
    return ctx.auth;
}

const ok = (json: unknown): RouteReply => ({ status: 200, json });
const created = (json: unknown): RouteReply => ({ status: 201, json });
const noContent = (): RouteReply => ({ status: 204 });

interface Page {
    readonly offset: number;
    readonly limit: number;
    readonly descending: boolean;
}

/** influxdb.DecodeFindOptions: offset, limit (1..max), descending. */
function pageOf(query: URLSearchParams, defaultLimit: number, maxLimit: number): Page {
    const limit = query.has("limit") ? Number(query.get("limit")) : defaultLimit;
    const offset = query.has("offset") ? Number(query.get("offset")) : 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
        throw invalid(`limit must be between 1 and ${maxLimit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
        throw invalid("offset must be a non-negative integer");
    }
    return { offset, limit, descending: query.get("descending") === "true" };
}

function afterCursor<T extends { id: string }>(items: T[], after: string | null): T[] {
    if (!after) {
        return items;
    }
    const at = items.findIndex((i) => i.id === after);
    return at < 0 ? [] : items.slice(at + 1);
}

function byId<T extends { id: string }>(a: T, b: T): number {
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byName<T extends { name: string }>(a: T, b: T): number {
    return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** `orgID` (an ID) or `org` (a name) of a query, resolved; undefined when neither is given. */
function orgFilter(ctx: RouteContext): string | undefined {
    const orgID = ctx.query.get("orgID");
    if (orgID) {
        return ctx.state.org(parseId(orgID)).id;
    }
    const org = ctx.query.get("org");
    return org ? ctx.state.orgByName(org).id : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// System: /health, /ready, /ping, /api/v2/setup
// ---------------------------------------------------------------------------------------------------------------

/** A Go time.Duration string such as `1m2.345s`. */
function goDuration(ms: number): string {
    const minutes = Math.floor(ms / 60000);
    const seconds = ((ms % 60000) / 1000).toFixed(3).replace(/\.?0+$/, "");
    return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

function health(ctx: RouteContext): RouteReply {
    return ok({
        name: "influxdb",
        message: "ready for queries and writes",
        status: "pass",
        checks: [],
        version: ctx.facts.version,
        commit: ctx.facts.commit,
    });
}

function ready(ctx: RouteContext): RouteReply {
    const up = goDuration(Date.now() - ctx.facts.startedAt.getTime());
    return ok({ status: "ready", started: goTime(ctx.facts.startedAt), up });
}

function ping(ctx: RouteContext): RouteReply {
    return { status: 204, headers: { "X-Influxdb-Build": "OSS", "X-Influxdb-Version": ctx.facts.version } };
}

function getSetup(ctx: RouteContext): RouteReply {
    return ok({ allowed: !ctx.state.isSetUp() });
}

function postSetup(ctx: RouteContext): RouteReply {
    const b = fields(ctx);
    const hours = optNumber(b, "retentionPeriodHrs");
    const result = ctx.state.setup({
        username: optString(b, "username") ?? "",
        password: optString(b, "password"),
        org: optString(b, "org") ?? "",
        bucket: optString(b, "bucket") ?? "",
        retentionSeconds: optNumber(b, "retentionPeriodSeconds") ?? (hours !== undefined ? hours * 3600 : 0),
        token: optString(b, "token") || undefined,
    });
    return created({
        user: ctx.views.user(result.user),
        org: ctx.views.org(result.org),
        bucket: ctx.views.bucket(result.bucket),
        auth: ctx.views.authorization(result.auth, true),
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------------------------

function getOrgs(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const page = pageOf(ctx.query, 20, 100);
    const orgID = ctx.query.get("orgID");
    const name = ctx.query.get("org");
    let orgs = [...ctx.state.data.orgs.values()].sort(byId);
    if (orgID) {
        orgs = [ctx.state.org(parseId(orgID))];
    } else if (name) {
        orgs = [ctx.state.orgByName(name)];
    }
    if (page.descending) {
        orgs.reverse();
    }
    const slice = orgs.slice(page.offset, page.offset + page.limit);
    const visible = slice.filter((o) => isAllowed(auth, { action: "read", type: "orgs", orgID: o.id, id: o.id }));
    return ok({
        links: pagingLinks(
            "/api/v2/orgs",
            { org: name ?? undefined, orgID: orgID ?? undefined },
            page.offset,
            page.limit,
            slice.length,
        ),
        orgs: visible.map((o) => ctx.views.org(o)),
    });
}

function getOrg(ctx: RouteContext): RouteReply {
    const org = ctx.state.org(parseId(ctx.params.orgID));
    requirePermission(caller(ctx), { action: "read", type: "orgs", orgID: org.id, id: org.id });
    return ok(ctx.views.org(org));
}

// ---------------------------------------------------------------------------------------------------------------
// Buckets
// ---------------------------------------------------------------------------------------------------------------

/** The single retention rule of a create or update (2.7 supports one), checked like postBucketRequest.OK. */
function retentionRuleOf(body: Record<string, unknown>): RuleInput | undefined {
    const rules = Array.isArray(body.retentionRules) ? (body.retentionRules as unknown[]) : [];
    if (rules.length > 1) {
        throw new ApiError(
            422,
            "unprocessable entity",
            "buckets cannot have more than one retention rule at this time",
        );
    }
    const rule = typeof rules[0] === "object" && rules[0] !== null ? (rules[0] as Record<string, unknown>) : undefined;
    if (!rule) {
        return undefined;
    }
    const result = {
        everySeconds: optNumber(rule, "everySeconds"),
        shardGroupDurationSeconds: optNumber(rule, "shardGroupDurationSeconds"),
    };
    if ((result.everySeconds ?? 0) < 0) {
        throw new ApiError(422, "unprocessable entity", "expiration seconds cannot be negative");
    }
    if ((result.shardGroupDurationSeconds ?? 0) < 0) {
        throw new ApiError(422, "unprocessable entity", "shard-group duration seconds cannot be negative");
    }
    return result;
}

function listBuckets(ctx: RouteContext, orgID: string | undefined): BucketState[] {
    const id = ctx.query.get("id");
    const name = ctx.query.get("name");
    if (id) {
        return [ctx.state.bucket(parseId(id))];
    }
    if (name && orgID) {
        return [ctx.state.bucketByName(orgID, name)];
    }
    const all = [...ctx.state.data.buckets.values()].filter(
        (b) => (orgID === undefined || b.orgID === orgID) && (!name || b.name === name),
    );
    // with an org, the tenant store walks its name index; without, its ID-keyed table
    return all.sort(orgID !== undefined ? byName : byId);
}

function getBuckets(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const page = pageOf(ctx.query, 20, 100);
    const orgID = orgFilter(ctx);
    const listed = afterCursor(listBuckets(ctx, orgID), ctx.query.get("after"));
    const slice = listed.slice(page.offset, page.offset + page.limit);
    const visible = slice.filter((b) => isAllowed(auth, { action: "read", type: "buckets", orgID: b.orgID, id: b.id }));
    const params = {
        org: ctx.query.get("org") ?? undefined,
        orgID: ctx.query.get("orgID") ?? undefined,
        name: ctx.query.get("name") ?? undefined,
    };
    return ok({
        links: pagingLinks("/api/v2/buckets", params, page.offset, page.limit, slice.length),
        buckets: visible.map((b) => ctx.views.bucket(b)),
    });
}

function postBucket(ctx: RouteContext): RouteReply {
    const b = fields(ctx);
    const orgID = optString(b, "orgID");
    if (!orgID || !isId(orgID)) {
        throw invalid("organization id must be provided");
    }
    requirePermission(caller(ctx), { action: "write", type: "buckets", orgID });
    const rule = ruleFor(ctx.facts.kind, retentionRuleOf(b), false);
    checkQuota(ctx.facts.kind, "bucket", quotaBuckets(ctx.state.data.buckets.values(), orgID));
    const bucket = ctx.state.createBucket({
        orgID,
        name: optString(b, "name") ?? "",
        description: optString(b, "description"),
        retentionSeconds: rule?.everySeconds ?? 0,
        shardGroupDurationSeconds: rule?.shardGroupDurationSeconds ?? 0,
    });
    return created(ctx.views.bucket(bucket));
}

function bucketFor(ctx: RouteContext, action: "read" | "write"): BucketState {
    const bucket = ctx.state.bucket(parseId(ctx.params.bucketID));
    requirePermission(caller(ctx), { action, type: "buckets", orgID: bucket.orgID, id: bucket.id });
    return bucket;
}

function getBucket(ctx: RouteContext): RouteReply {
    return ok(ctx.views.bucket(bucketFor(ctx, "read")));
}

/** An empty `retentionRules` leaves the retention alone (the field is omitempty on the server). */
function patchBucket(ctx: RouteContext): RouteReply {
    const bucket = bucketFor(ctx, "write");
    const b = fields(ctx);
    const rule = ruleFor(ctx.facts.kind, retentionRuleOf(b), true);
    const updated = ctx.state.updateBucket(bucket.id, {
        name: optString(b, "name"),
        description: optString(b, "description"),
        retentionSeconds: rule?.everySeconds,
        shardGroupDurationSeconds: rule?.shardGroupDurationSeconds,
    });
    return ok(ctx.views.bucket(updated));
}

function deleteBucket(ctx: RouteContext): RouteReply {
    ctx.state.deleteBucket(bucketFor(ctx, "write").id);
    return noContent();
}

// ---------------------------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------------------------

function taskMatches(ctx: RouteContext, orgID: string | undefined): (t: TaskState) => boolean {
    const q = ctx.query;
    const type = q.get("type");
    return (t) =>
        (orgID === undefined || t.orgID === orgID) &&
        (!q.get("name") || t.name === q.get("name")) &&
        (!q.get("status") || t.status === q.get("status")) &&
        (!q.get("user") || t.ownerID === q.get("user")) &&
        (!type || (type === "system" ? t.type === "system" : t.type !== "system"));
}

function getTasks(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const { limit } = pageOf(new URLSearchParams({ limit: ctx.query.get("limit") ?? "100" }), 100, 500);
    const tasks = [...ctx.state.data.tasks.values()].filter(taskMatches(ctx, orgFilter(ctx))).sort(byId);
    const page = afterCursor(tasks, ctx.query.get("after")).slice(0, limit);
    const visible = page.filter((t) => isAllowed(auth, { action: "read", type: "tasks", orgID: t.orgID, id: t.id }));
    const self = new URLSearchParams(ctx.query);
    self.set("limit", String(limit));
    const links: Json = { self: `/api/v2/tasks?${self.toString()}` };
    if (page.length === limit) {
        self.set("after", page[page.length - 1].id);
        links.next = `/api/v2/tasks?${self.toString()}`;
    }
    return ok({ links, tasks: visible.map((t) => ctx.views.task(t)) });
}

function taskOrg(ctx: RouteContext, body: Record<string, unknown>): string {
    const orgID = optString(body, "orgID");
    if (orgID) {
        return ctx.state.org(parseId(orgID)).id;
    }
    const org = optString(body, "org");
    if (org) {
        return ctx.state.orgByName(org).id;
    }
    throw invalid("missing orgID and organization name");
}

function postTask(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const b = fields(ctx);
    const orgID = taskOrg(ctx, b);
    requirePermission(auth, { action: "write", type: "tasks", orgID });
    checkQuota(ctx.facts.kind, "task", [...ctx.state.data.tasks.values()].filter((t) => t.orgID === orgID).length);
    const status = optString(b, "status");
    const task = ctx.state.createTask({
        orgID,
        ownerID: auth.userID,
        flux: optString(b, "flux") ?? "",
        description: optString(b, "description"),
        status: status === "inactive" ? "inactive" : status === "active" ? "active" : undefined,
    });
    return created(ctx.views.task(task));
}

function taskFor(ctx: RouteContext, action: "read" | "write"): TaskState {
    const task = ctx.state.task(parseId(ctx.params.taskID));
    requirePermission(caller(ctx), { action, type: "tasks", orgID: task.orgID, id: task.id });
    return task;
}

function getTask(ctx: RouteContext): RouteReply {
    return ok(ctx.views.task(taskFor(ctx, "read")));
}

/** TaskUpdate.Validate, then the kv service's update. */
function patchTask(ctx: RouteContext): RouteReply {
    const task = taskFor(ctx, "write");
    const b = fields(ctx);
    const status = optString(b, "status");
    const changes: TaskChanges = {
        flux: optString(b, "flux"),
        status: status === "active" || status === "inactive" ? status : undefined,
        description: optString(b, "description"),
        name: optString(b, "name"),
        every: optString(b, "every"),
        cron: optString(b, "cron"),
        offset: optString(b, "offset"),
    };
    const optionsGiven = [changes.name, changes.every, changes.cron, changes.offset].some((v) => v !== undefined);
    if (changes.flux === undefined && status === undefined && !optionsGiven) {
        throw invalid("cannot update task without content");
    }
    return ok(ctx.views.task(ctx.state.updateTask(task.id, changes)));
}

function deleteTask(ctx: RouteContext): RouteReply {
    ctx.state.deleteTask(taskFor(ctx, "write").id);
    return noContent();
}

function getRuns(ctx: RouteContext): RouteReply {
    const task = taskFor(ctx, "read");
    const { limit } = pageOf(new URLSearchParams({ limit: ctx.query.get("limit") ?? "100" }), 100, 500);
    const after = ctx.query.get("afterTime");
    const before = ctx.query.get("beforeTime");
    const runs = [...task.runs]
        .reverse()
        .filter((r) => (!after || r.scheduledFor > new Date(after)) && (!before || r.scheduledFor < new Date(before)));
    const self = `/api/v2/tasks/${task.id}/runs`;
    return ok({
        links: { self, task: `/api/v2/tasks/${task.id}` },
        runs: afterCursor(runs, ctx.query.get("after"))
            .slice(0, limit)
            .map((r) => ctx.views.run(r)),
    });
}

function postRun(ctx: RouteContext): RouteReply {
    const task = taskFor(ctx, "write");
    const scheduledFor = optString(fields(ctx), "scheduledFor");
    return created(ctx.views.run(ctx.state.forceRun(task.id, scheduledFor ? new Date(scheduledFor) : undefined)));
}

function getRun(ctx: RouteContext): RouteReply {
    const task = taskFor(ctx, "read");
    return ok(ctx.views.run(ctx.state.run(task.id, parseId(ctx.params.runID))));
}

function getLogs(ctx: RouteContext): RouteReply {
    const task = taskFor(ctx, "read");
    return ok({ events: task.runs.flatMap((r) => r.log.map((e) => ctx.views.logEvent(e))) });
}

// ---------------------------------------------------------------------------------------------------------------
// Authorizations (tokens are only shown on create)
// ---------------------------------------------------------------------------------------------------------------

function authorizationMatches(ctx: RouteContext): (a: AuthorizationState) => boolean {
    const q = ctx.query;
    const userName = (id: string) => ctx.state.user(id)?.name;
    const orgName = (id: string) => ctx.state.data.orgs.get(id)?.name;
    return (a) =>
        (!q.get("userID") || a.userID === q.get("userID")) &&
        (!q.get("user") || userName(a.userID) === q.get("user")) &&
        (!q.get("orgID") || a.orgID === q.get("orgID")) &&
        (!q.get("org") || orgName(a.orgID) === q.get("org")) &&
        (!q.get("token") || a.token === q.get("token"));
}

function getAuthorizations(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const visible = [...ctx.state.data.authorizations.values()]
        .filter(authorizationMatches(ctx))
        .filter((a) => isAllowed(auth, { action: "read", type: "authorizations", orgID: a.orgID, id: a.id }))
        .sort(byId);
    return ok({
        links: { self: "/api/v2/authorizations" },
        authorizations: visible.map((a) => ctx.views.authorization(a, false)),
    });
}

/** postAuthorizationRequest.Validate and Permission.Valid. */
function permissionsOf(body: Record<string, unknown>): Permission[] {
    const raw = Array.isArray(body.permissions) ? (body.permissions as unknown[]) : [];
    if (raw.length === 0) {
        throw invalid("authorization must include permissions");
    }
    return raw.map((entry) => {
        const p = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
        const r = (typeof p.resource === "object" && p.resource !== null ? p.resource : {}) as Record<string, unknown>;
        const action = optString(p, "action");
        const type = optString(r, "type") ?? "";
        if (action !== "read" && action !== "write") {
            throw invalid(`unknown action "${String(action)}" for permission`);
        }
        if (!OSS_RESOURCE_TYPES.includes(type)) {
            throw invalid(`unknown resource type "${type}" for permission`);
        }
        const resource: Permission["resource"] = { type };
        for (const key of ["id", "orgID", "name", "org"] as const) {
            const value = optString(r, key);
            if (value !== undefined) {
                resource[key] = key === "id" || key === "orgID" ? parseId(value) : value;
            }
        }
        return { action, resource };
    });
}

function postAuthorization(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const b = fields(ctx);
    const permissions = permissionsOf(b);
    const orgID = optString(b, "orgID");
    if (!orgID || !isId(orgID)) {
        throw invalid("org id required");
    }
    requirePermission(auth, { action: "write", type: "authorizations", orgID });
    // Authorization.Valid (auth.go): a permission scoped to another org is refused before any permission check.
    for (const p of permissions) {
        if (p.resource.orgID !== undefined && p.resource.orgID !== orgID) {
            throw invalid(`permission ${describeNeeded(permissionToNeeded(p))} is not for org id ${orgID}`);
        }
    }
    for (const p of permissions) {
        if (!isAllowed(auth, permissionToNeeded(p))) {
            throw new ApiError(403, "forbidden", `permission ${describeNeeded(permissionToNeeded(p))} is not allowed`);
        }
    }
    const userID = optString(b, "userID") ?? auth.userID;
    if (!ctx.state.user(userID)) {
        throw notFound("user not found");
    }
    const status = optString(b, "status");
    const created_ = ctx.state.createAuthorization({
        orgID: ctx.state.org(orgID).id,
        userID,
        permissions,
        description: optString(b, "description"),
        status: status === "inactive" ? "inactive" : "active",
    });
    return created(ctx.views.authorization(created_, true));
}

function authorizationFor(ctx: RouteContext, action: "read" | "write"): AuthorizationState {
    const target = ctx.state.authorization(parseId(ctx.params.authID));
    requirePermission(caller(ctx), { action, type: "authorizations", orgID: target.orgID, id: target.id });
    return target;
}

function getAuthorization(ctx: RouteContext): RouteReply {
    return ok(ctx.views.authorization(authorizationFor(ctx, "read"), false));
}

function patchAuthorization(ctx: RouteContext): RouteReply {
    const target = authorizationFor(ctx, "write");
    const b = fields(ctx);
    const status = optString(b, "status");
    const updated = ctx.state.updateAuthorization(target.id, {
        status: status === "active" || status === "inactive" ? status : undefined,
        description: optString(b, "description"),
    });
    return ok(ctx.views.authorization(updated, false));
}

function deleteAuthorization(ctx: RouteContext): RouteReply {
    ctx.state.deleteAuthorization(authorizationFor(ctx, "write").id);
    return noContent();
}

// ---------------------------------------------------------------------------------------------------------------
// Write and query
// ---------------------------------------------------------------------------------------------------------------

/** `org` of /write and /query: an org name, or an ID; `orgID` wins when given. */
function writeOrg(ctx: RouteContext): string {
    const orgID = ctx.query.get("orgID");
    if (orgID) {
        return ctx.state.org(parseId(orgID)).id;
    }
    const org = ctx.query.get("org") ?? "";
    const byName = [...ctx.state.data.orgs.values()].find((o) => o.name === org);
    const byID = isId(org) ? ctx.state.data.orgs.get(org) : undefined;
    if (!byName && !byID) {
        throw org === ""
            ? invalid("Please provide either orgID or org")
            : notFound(`organization name "${org}" not found`);
    }
    return (byName ?? byID)!.id;
}

function writeBucket(ctx: RouteContext, orgID: string, ref: string): BucketState {
    const byID = isId(ref) ? ctx.state.data.buckets.get(ref) : undefined;
    if (byID && byID.orgID === orgID) {
        return byID;
    }
    return ctx.state.bucketByName(orgID, ref);
}

/** Line protocol, checked for the shape `measurement[,tags] fields [timestamp]`. */
function linesOf(text: string): string[] {
    const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
    if (lines.length === 0) {
        throw invalid("writing requires points");
    }
    lines.forEach((line, i) => {
        const parts = line.trim().split(/(?<!\\) +/);
        if (
            parts.length < 2 ||
            parts.length > 3 ||
            !parts[1].includes("=") ||
            (parts[2] !== undefined && !/^-?\d+$/.test(parts[2]))
        ) {
            throw new ApiError(400, "invalid", `unable to parse '${line}': invalid line protocol`, { line: i + 1 });
        }
    });
    return lines;
}

function postWrite(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const orgID = writeOrg(ctx);
    const bucket = writeBucket(ctx, orgID, ctx.query.get("bucket") ?? "");
    if (!isAllowed(auth, { action: "write", type: "buckets", orgID, id: bucket.id })) {
        throw new ApiError(403, "forbidden", "insufficient permissions for write");
    }
    const lines = linesOf(ctx.text);
    ctx.state.data.writes.push({
        orgID,
        bucketID: bucket.id,
        precision: ctx.query.get("precision") ?? "ns",
        lines,
        at: new Date(),
    });
    return noContent();
}

/** Buckets a Flux query reads with from(bucket: "..."). */
function queriedBuckets(flux: string): string[] {
    return [...flux.matchAll(/from\s*\(\s*bucket\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
}

/** A permission check and an empty result: the stand-in stores points but does not evaluate Flux. */
function postQuery(ctx: RouteContext): RouteReply {
    const auth = caller(ctx);
    const orgID = writeOrg(ctx);
    const flux = ctx.body !== undefined ? (optString(fields(ctx), "query") ?? "") : ctx.text;
    for (const name of queriedBuckets(flux)) {
        const bucket = [...ctx.state.data.buckets.values()].find((b) => b.orgID === orgID && b.name === name);
        if (!bucket || !isAllowed(auth, { action: "read", type: "buckets", orgID, id: bucket.id })) {
            throw notFound(`failed to initialize execute state: could not find bucket "${name}"`);
        }
    }
    return { status: 200, text: "\r\n", contentType: "text/csv; charset=utf-8" };
}

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

const open = (handle: Route["handle"]): Route => ({ auth: false, handle });
const guarded = (handle: Route["handle"]): Route => ({ auth: true, handle });

/** Every route the stand-in serves; each key must name an operation of the OpenAPI contract. */
export const ROUTES: Readonly<Record<string, Route>> = {
    "GET /health": open(health),
    "GET /ready": open(ready),
    "GET /ping": open(ping),
    "HEAD /ping": open(ping),
    "GET /api/v2/setup": open(getSetup),
    "POST /api/v2/setup": open(postSetup),
    "GET /api/v2/orgs": guarded(getOrgs),
    "GET /api/v2/orgs/{orgID}": guarded(getOrg),
    "GET /api/v2/buckets": guarded(getBuckets),
    "POST /api/v2/buckets": guarded(postBucket),
    "GET /api/v2/buckets/{bucketID}": guarded(getBucket),
    "PATCH /api/v2/buckets/{bucketID}": guarded(patchBucket),
    "DELETE /api/v2/buckets/{bucketID}": guarded(deleteBucket),
    "GET /api/v2/tasks": guarded(getTasks),
    "POST /api/v2/tasks": guarded(postTask),
    "GET /api/v2/tasks/{taskID}": guarded(getTask),
    "PATCH /api/v2/tasks/{taskID}": guarded(patchTask),
    "DELETE /api/v2/tasks/{taskID}": guarded(deleteTask),
    "GET /api/v2/tasks/{taskID}/runs": guarded(getRuns),
    "POST /api/v2/tasks/{taskID}/runs": guarded(postRun),
    "GET /api/v2/tasks/{taskID}/runs/{runID}": guarded(getRun),
    "GET /api/v2/tasks/{taskID}/logs": guarded(getLogs),
    "GET /api/v2/authorizations": guarded(getAuthorizations),
    "POST /api/v2/authorizations": guarded(postAuthorization),
    "GET /api/v2/authorizations/{authID}": guarded(getAuthorization),
    "PATCH /api/v2/authorizations/{authID}": guarded(patchAuthorization),
    "DELETE /api/v2/authorizations/{authID}": guarded(deleteAuthorization),
    "POST /api/v2/write": guarded(postWrite),
    "POST /api/v2/query": guarded(postQuery),
};
