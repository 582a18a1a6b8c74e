// The rules of InfluxDB 2.7 that the stack settings, the downsampling plan and the providers all enforce, in one place:
// bucket names, the 1h retention minimum, default shard-group durations, IDs, permission resource types, task status.
// Each cites where the server does it (influxdata/influxdb v2.7.12).

/**
 * The shortest finite retention, in seconds: 1h (`MinRetentionPolicyDuration`, v1/services/meta/data.go; refused in
 * v1/services/meta/client.go). 0 means infinite.
 */
export const MIN_RETENTION_SECONDS = 3600;

/**
 * Why a bucket name is refused, or undefined when it is fine. InfluxDB 2.7.12 itself refuses only a leading `_` and a
 * `"` (tenant/service_bucket.go `validBucketName`); it creates buckets named "", " a\tb " or with 1000 characters
 * (test/e2e/conformance.e2e.ts). The rest is this project's own caution: an empty, space-padded or control-character
 * name in a stack file is a mistake, and 255 characters is InfluxDB's limit for v1 database names (MaxNameLen,
 * v1/services/meta/data.go), which the v1 compatibility API maps to buckets.
 */
export function bucketNameProblem(name: unknown): string | undefined {
    if (typeof name !== "string" || name === "") {
        return "must be a non-empty string";
    }
    if (name.startsWith("_")) {
        return "must not start with `_` (reserved for system buckets)";
    }
    if (name.includes('"')) {
        return 'must not contain a double quote (")';
    }
    if (/[\u0000-\u001f\u007f]/.test(name) || name !== name.trim()) {
        return "must not contain control characters or surrounding spaces";
    }
    if (name.length > 255) {
        return `is too long (${name.length} characters; at most 255)`;
    }
    return undefined;
}

/** InfluxDB's default shard-group duration for a retention: infinite or >= 180 days: 7d; >= 2 days: 1d; else 1h. */
export function defaultShardGroupSeconds(retentionSeconds: number): number {
    if (retentionSeconds === 0 || retentionSeconds >= 180 * 86400) {
        return 7 * 86400;
    }
    return retentionSeconds >= 2 * 86400 ? 86400 : 3600;
}

export type PermissionAction = "read" | "write";

/**
 * Resource types a permission may name (InfluxDB 2 OSS, influxdata/influxdb v2.7.12 authz.go `AllResourceTypes`).
 * `instance` is among them but no token can grant it: the operator token's own permissions skip it (authz.go
 * `OperPermissions`), so a create asking for it answers 403 "permission ... is not allowed" (see checkPermission).
 */
export const RESOURCE_TYPES = [
    "authorizations",
    "buckets",
    "dashboards",
    "orgs",
    "sources",
    "tasks",
    "telegrafs",
    "users",
    "variables",
    "scrapers",
    "secrets",
    "labels",
    "views",
    "documents",
    "notificationRules",
    "notificationEndpoints",
    "checks",
    "dbrp",
    "notebooks",
    "annotations",
    "remotes",
    "replications",
    "instance",
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export type TaskStatus = "active" | "inactive";

/** An InfluxDB ID (organization, bucket, task, authorization): 16 lower-case hex characters (platform.ID). */
export function isInfluxId(value: string): boolean {
    return /^[0-9a-f]{16}$/.test(value);
}
