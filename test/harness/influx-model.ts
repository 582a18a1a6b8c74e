// The stand-in's data model and the InfluxDB 2.7 rules it reproduces: IDs, tokens, permissions, retention and
// shard-group durations, bucket names, error bodies and time formatting.
import * as crypto from "node:crypto";
import { RESOURCE_TYPES } from "../../dynamic-providers/influx-rules";

/** An API error the way InfluxDB 2.x encodes it: HTTP status plus `{code, message}` (and maybe more fields). */
export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly code: ErrorCode,
        message: string,
        readonly extra: Readonly<Record<string, unknown>> = {},
    ) {
        super(message);
    }

    /** The response body. */
    body(): Record<string, unknown> {
        return { code: this.code, message: this.message, ...this.extra };
    }
}

/** The `code` values of the spec's Error schema. */
export type ErrorCode =
    | "internal error"
    | "not implemented"
    | "not found"
    | "conflict"
    | "invalid"
    | "unprocessable entity"
    | "empty value"
    | "unavailable"
    | "forbidden"
    | "too many requests"
    | "unauthorized"
    | "method not allowed"
    | "request too large"
    | "unsupported media type";

export const notFound = (what: string): ApiError => new ApiError(404, "not found", what);
export const invalid = (message: string): ApiError => new ApiError(400, "invalid", message);
export const UNAUTHORIZED_ACCESS = (): ApiError => new ApiError(401, "unauthorized", "unauthorized access");

// ---------------------------------------------------------------------------------------------------------------
// State records
// ---------------------------------------------------------------------------------------------------------------

export type Action = "read" | "write";

export interface PermissionResource {
    type: string;
    id?: string;
    orgID?: string;
    name?: string;
    org?: string;
}

export interface Permission {
    action: Action;
    resource: PermissionResource;
}

export interface OrgState {
    id: string;
    name: string;
    description: string;
    createdAt: Date;
    updatedAt: Date;
}

export interface UserState {
    id: string;
    name: string;
}

export interface BucketState {
    id: string;
    orgID: string;
    name: string;
    description: string;
    type: "user" | "system";
    /** 0 means infinite. */
    retentionSeconds: number;
    shardGroupDurationSeconds: number;
    createdAt: Date;
    updatedAt: Date;
}

export type RunStatus = "scheduled" | "started" | "failed" | "success" | "canceled";

export interface LogEventState {
    time: Date;
    message: string;
    runID: string;
}

export interface RunState {
    id: string;
    taskID: string;
    status: RunStatus;
    scheduledFor: Date;
    requestedAt?: Date;
    startedAt?: Date;
    finishedAt?: Date;
    flux: string;
    log: LogEventState[];
}

export interface TaskState {
    id: string;
    orgID: string;
    ownerID: string;
    type: string;
    name: string;
    description: string;
    status: "active" | "inactive";
    /** Stored verbatim, as the server does. */
    flux: string;
    every?: string;
    cron?: string;
    /** Offset in seconds (the server keeps a Go duration). */
    offsetSeconds?: number;
    createdAt: Date;
    updatedAt: Date;
    latestCompleted: Date;
    lastRunStatus?: "failed" | "success" | "canceled";
    lastRunError?: string;
    runs: RunState[];
}

export interface AuthorizationState {
    id: string;
    token: string;
    status: "active" | "inactive";
    description: string;
    orgID: string;
    userID: string;
    permissions: Permission[];
    createdAt: Date;
    updatedAt: Date;
}

/** A batch of line protocol accepted by POST /api/v2/write. */
export interface WriteState {
    orgID: string;
    bucketID: string;
    precision: string;
    lines: string[];
    at: Date;
}

export interface StandInData {
    orgs: Map<string, OrgState>;
    users: Map<string, UserState>;
    buckets: Map<string, BucketState>;
    tasks: Map<string, TaskState>;
    authorizations: Map<string, AuthorizationState>;
    writes: WriteState[];
    /** When onboarding happened; undefined while the instance is not set up. */
    setUpAt?: Date;
}

export function emptyData(): StandInData {
    return {
        orgs: new Map(),
        users: new Map(),
        buckets: new Map(),
        tasks: new Map(),
        authorizations: new Map(),
        writes: [],
    };
}

// ---------------------------------------------------------------------------------------------------------------
// IDs, tokens, time
// ---------------------------------------------------------------------------------------------------------------

const ID_PATTERN = /^[0-9a-f]{16}$/;

/** A new 16-hex-digit ID, like InfluxDB's snowflake IDs, not in `taken`. */
export function newId(taken: { has(id: string): boolean } = new Set<string>()): string {
    for (;;) {
        const id = crypto.randomBytes(8).toString("hex");
        if (id[0] !== "0" && !taken.has(id)) {
            return id;
        }
    }
}

/** Parses an ID the way platform.IDFromString does, with its error messages. */
export function parseId(raw: string | null | undefined): string {
    const value = raw ?? "";
    if (value.length !== 16) {
        throw invalid("id must have a length of 16 bytes");
    }
    if (!ID_PATTERN.test(value) || value === "0000000000000000") {
        throw invalid("invalid ID");
    }
    return value;
}

export function isId(raw: string | null | undefined): boolean {
    return ID_PATTERN.test(raw ?? "");
}

/** A new API token: 64 random bytes, base64url, the shape of InfluxDB 2 tokens. */
export function newToken(): string {
    return `${crypto.randomBytes(64).toString("base64url")}==`;
}

/** RFC 3339 the way Go's time.Time marshals: fractional seconds without trailing zeros. */
export function goTime(date: Date): string {
    return date.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : "Z"));
}

/** Truncates to whole seconds, as the task service does for createdAt and latestCompleted. */
export function truncateToSecond(date: Date): Date {
    return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

// ---------------------------------------------------------------------------------------------------------------
// Permissions (influxdb.Permission.Matches of 2.7)
// ---------------------------------------------------------------------------------------------------------------

/** Resource types of InfluxDB 2.7 OSS (influxdb.OssResourceTypes): the same list the providers accept. */
export const OSS_RESOURCE_TYPES: readonly string[] = RESOURCE_TYPES;

/**
 * The operator token's permissions: every action on every resource type but `instance`, in every org. The server
 * skips `instance` (influxdata/influxdb v2.7.12, authz.go `OperPermissions`), so even the operator token cannot
 * grant it: creating a token with an `instance` permission answers 403 "permission ... is not allowed".
 */
export function operatorPermissions(): Permission[] {
    return OSS_RESOURCE_TYPES.filter((type) => type !== "instance").flatMap((type) =>
        (["read", "write"] as const).map((action) => ({ action, resource: { type } })),
    );
}

/** What a request needs: an action on a resource type, maybe in an org, maybe a specific resource. */
export interface Needed {
    action: Action;
    type: string;
    orgID?: string;
    id?: string;
}

function grants(granted: Permission, needed: Needed): boolean {
    const r = granted.resource;
    if (granted.action !== needed.action || r.type !== needed.type) {
        return false;
    }
    if (r.orgID === undefined && r.id === undefined) {
        return true;
    }
    if (r.orgID !== undefined && r.id === undefined && r.orgID === needed.orgID) {
        return true;
    }
    return r.id !== undefined && r.id === needed.id;
}

/**
 * Whether the token grants what is needed. An inactive token grants nothing (auth.go `PermissionSet`: "token is
 * inactive"), so listings filtered by it are empty (200) while single-resource calls answer 401.
 */
export function isAllowed(auth: AuthorizationState, needed: Needed): boolean {
    return auth.status === "active" && auth.permissions.some((p) => grants(p, needed));
}

/** influxdb.Permission.String(): `read:orgs/<org>/buckets/<id>`. */
export function describeNeeded(needed: Needed): string {
    const base = needed.orgID !== undefined ? `orgs/${needed.orgID}/${needed.type}` : needed.type;
    return `${needed.action}:${needed.id !== undefined ? `${base}/${needed.id}` : base}`;
}

/** The authorizer's answer when a token lacks a permission: 401 `<permission> is unauthorized`. */
export function requirePermission(auth: AuthorizationState, needed: Needed): void {
    if (auth.status !== "active") {
        throw new ApiError(401, "unauthorized", "token is inactive");
    }
    if (!isAllowed(auth, needed)) {
        throw new ApiError(401, "unauthorized", `${describeNeeded(needed)} is unauthorized`);
    }
}

export function permissionToNeeded(p: Permission): Needed {
    return { action: p.action, type: p.resource.type, orgID: p.resource.orgID, id: p.resource.id };
}

// ---------------------------------------------------------------------------------------------------------------
// Retention (services/meta of 2.7)
// ---------------------------------------------------------------------------------------------------------------

const HOUR = 3600;
const DAY = 24 * HOUR;
/**
 * meta.MinRetentionPolicyDuration. The stand-in's own copy, not the product's (dynamic-providers/influx-rules.ts): a
 * stand-in that shares the code's assumptions cannot catch them; conformance.e2e.ts holds this one to influxd.
 */
export const MIN_RETENTION_SECONDS = HOUR;

/** shardGroupDuration(): the default shard-group duration for a retention period. */
export function defaultShardGroupSeconds(retentionSeconds: number): number {
    if (retentionSeconds === 0 || retentionSeconds >= 180 * DAY) {
        return 7 * DAY;
    }
    return retentionSeconds >= 2 * DAY ? DAY : HOUR;
}

/** normalisedShardDuration(): zero picks the default, anything under an hour becomes the 1h default. */
export function normalisedShardGroupSeconds(shardGroupSeconds: number, retentionSeconds: number): number {
    if (shardGroupSeconds === 0) {
        return defaultShardGroupSeconds(retentionSeconds);
    }
    return shardGroupSeconds < MIN_RETENTION_SECONDS
        ? defaultShardGroupSeconds(MIN_RETENTION_SECONDS)
        : shardGroupSeconds;
}

/** Errors of the meta store are plain Go errors: the API answers 500 "internal error" with their text. */
const tooLow = () => new ApiError(500, "internal error", "retention policy duration must be at least 1h0m0s");
const incompatible = () =>
    new ApiError(500, "internal error", "retention policy duration must be greater than the shard duration");

/** CreateRetentionPolicy's checks; answers the normalised shard-group duration. */
export function retentionForCreate(retentionSeconds: number, shardGroupSeconds: number): number {
    if (retentionSeconds !== 0 && retentionSeconds < MIN_RETENTION_SECONDS) {
        throw tooLow();
    }
    const shard = normalisedShardGroupSeconds(shardGroupSeconds, retentionSeconds);
    if (retentionSeconds > 0 && retentionSeconds < shard) {
        throw incompatible();
    }
    return shard;
}

/** UpdateRetentionPolicy's checks; answers the new [retention, shard-group] pair. */
export function retentionForUpdate(
    bucket: BucketState,
    retentionSeconds: number | undefined,
    shardGroupSeconds: number | undefined,
): [number, number] {
    if (retentionSeconds !== undefined && retentionSeconds !== 0 && retentionSeconds < MIN_RETENTION_SECONDS) {
        throw tooLow();
    }
    const retention = retentionSeconds ?? bucket.retentionSeconds;
    const shardLimit = shardGroupSeconds ?? bucket.shardGroupDurationSeconds;
    const changesAndConflicts =
        (retentionSeconds !== undefined && retentionSeconds > 0 && retentionSeconds < shardLimit) ||
        (retentionSeconds === undefined && retention > 0 && shardGroupSeconds !== undefined && retention < shardLimit);
    if (changesAndConflicts) {
        // storage.Engine maps meta.ErrIncompatibleDurations to a 422 on update
        throw new ApiError(
            422,
            "unprocessable entity",
            "shard-group duration must also be updated to be smaller than new retention duration",
        );
    }
    const shard =
        shardGroupSeconds !== undefined
            ? normalisedShardGroupSeconds(shardGroupSeconds, retention)
            : bucket.shardGroupDurationSeconds;
    return [retention, shard];
}

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

/**
 * validBucketName() of 2.7 (tenant/service_bucket.go): a leading `_` and a `"` are refused, nothing else. influxd
 * 2.7.12 creates a bucket named "", " b" or with 1000 characters (conformance.e2e.ts holds the stand-in to it).
 */
export function checkBucketName(name: string, type: BucketState["type"]): void {
    if (name.startsWith("_") && type !== "system") {
        throw invalid(`bucket name ${name} is invalid. Buckets may not start with underscore`);
    }
    if (name.includes('"')) {
        throw invalid(`bucket name ${name} is invalid. Bucket names may not include quotation marks`);
    }
}
