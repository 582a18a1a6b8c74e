// What InfluxDB 2.0.0–2.0.4 and InfluxDB Cloud's Free plan answer differently from 2.7, for the stand-in's `server`
// option. Each rule cites where the real server does it; 2.7 is the default and needs nothing here.
import { ApiError, BucketState } from "./influx-model";

/**
 * The server the stand-in answers as:
 * - `2.7`: InfluxDB OSS 2.7 (the default);
 * - `2.0`: InfluxDB OSS 2.0.0–2.0.4, before shard-group durations were exposed (influxdata/influxdb#20911, in 2.0.5);
 * - `cloud-free`: InfluxDB Cloud (TSM) on its Free plan: shard-group durations are the service's own, and the plan's
 *   quotas (2 buckets besides `_monitoring` and `_tasks`, 5 tasks) stop creates.
 */
export type ServerKind = "2.7" | "2.0" | "cloud-free";

/** One retention rule of a bucket create or update, as the route read it. */
export interface RuleInput {
    readonly everySeconds?: number;
    readonly shardGroupDurationSeconds?: number;
}

/**
 * The rule a server of `kind` applies. On 2.0.0–2.0.4 a rule's `everySeconds` below 1 is refused (422 "expiration
 * seconds must be greater than or equal to one second": `retentionRule.RetentionPeriod`, tenant/http_server_bucket.go
 * of influxdata/influxdb v2.0.4), infinite retention is an empty `retentionRules`, and an update always sets the
 * retention (`bucketUpdate.toInfluxDB` sends `RetentionPeriod` even without rules). Neither 2.0.0–2.0.4 (no such
 * field) nor Cloud (the service picks shard groups; `influx bucket create --shard-group-duration` is "OSS only" in
 * the influx CLI reference) keeps a shard-group duration it is sent: each picks the default for the retention, on a
 * retention update too (2.0.4's `Engine.UpdateBucketRetentionPeriod`, storage/engine.go, sends a zero shard-group
 * duration, which the meta store replaces with the default).
 */
export function ruleFor(kind: ServerKind, rule: RuleInput | undefined, update: boolean): RuleInput | undefined {
    if (kind === "2.7") {
        return rule;
    }
    if (kind === "2.0" && rule && (rule.everySeconds ?? 0) < 1) {
        throw new ApiError(
            422,
            "unprocessable entity",
            "expiration seconds must be greater than or equal to one second",
        );
    }
    if (kind === "2.0" && update && !rule) {
        return { everySeconds: 0, shardGroupDurationSeconds: 0 };
    }
    return rule ? { everySeconds: rule.everySeconds, shardGroupDurationSeconds: 0 } : undefined;
}

/** Whether buckets of a `kind` server are rendered as 2.0.4's `newBucket` does: no shard group, infinite as `[]`. */
export function rendersWithoutShardGroups(kind: ServerKind): boolean {
    return kind === "2.0";
}

/** InfluxDB Cloud's Free plan quotas (docs.influxdata.com/influxdb/cloud/account-management/limits/). */
export const CLOUD_FREE_QUOTAS = { buckets: 2, tasks: 5 } as const;

/**
 * Refuses a create beyond the plan's quota, with the message Cloud users report ("creating bucket would exceed
 * quota": influxdata/community-templates#227, influxdata/docs-v2#3896). The status of a direct API call is not
 * documented; 403 is used here, and the providers go by the message, whatever the status.
 */
export function checkQuota(kind: ServerKind, what: "bucket" | "task", existing: number): void {
    if (kind !== "cloud-free") {
        return;
    }
    const quota = what === "bucket" ? CLOUD_FREE_QUOTAS.buckets : CLOUD_FREE_QUOTAS.tasks;
    if (existing >= quota) {
        throw new ApiError(403, "forbidden", `creating ${what} would exceed quota`);
    }
}

/** The buckets that count against Cloud's bucket quota: the user's, not `_monitoring` and `_tasks`. */
export function quotaBuckets(buckets: Iterable<BucketState>, orgID: string): number {
    return [...buckets].filter((b) => b.orgID === orgID && b.type !== "system").length;
}
