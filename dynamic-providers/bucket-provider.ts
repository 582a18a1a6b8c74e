// Bucket: the provider the dynamic-provider plugin runs (check, diff rules, create/read/update/delete). The resource
// class programs import is bucket.ts.
import type { Bucket as ApiBucket } from "@influxdata/influxdb-client-apis";
import { Connection, deleteApi, readApi, readListed, writeApi } from "./client";
import {
    checkConnection,
    CheckFailure,
    checkId,
    compact,
    connectionKey,
    diffByRules,
    DiffRule,
    isUnknown,
} from "./common";
import { isInfluxApiError } from "./errors";
import { bucketNameProblem, defaultShardGroupSeconds, MIN_RETENTION_SECONDS } from "./influx-rules";
import { influxProvider } from "./resource";

/** Inputs as the provider sees them after check. */
export interface BucketInputs {
    readonly connection: Connection;
    readonly orgId: string;
    readonly name: string;
    readonly retentionSeconds: number;
    readonly shardGroupDurationSeconds?: number;
    readonly description: string;
    readonly adopt: boolean;
    readonly keepRetentionOnAdopt: boolean;
}

/** Outputs (state) of a Bucket. */
export interface BucketOutputs extends BucketInputs {
    readonly bucketId: string;
    /** What the server uses (filled in by the server when not set). */
    readonly shardGroupDurationSeconds: number;
    readonly createdAt?: string;
    /** The bucket was adopted with its own retention (keepRetentionOnAdopt): the inputs' retention is not applied. */
    readonly retentionKept?: boolean;
    /**
     * The server did not keep the shard-group duration it was sent (InfluxDB Cloud, InfluxDB 2.0.0–2.0.4): it is
     * then not compared, so a stack does not show an update on every preview that the server ignores every time.
     */
    readonly shardGroupIgnored?: boolean;
}

function checkSeconds(property: string, value: unknown): CheckFailure[] {
    if (value === undefined || isUnknown(value)) {
        return [];
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        return [
            {
                property,
                reason: `${property} must be a whole, non-negative number of seconds; got ${JSON.stringify(value)}`,
            },
        ];
    }
    return [];
}

/** Validates bucket inputs offline; unknown values are skipped. */
export function checkBucket(news: Record<string, unknown>): CheckFailure[] {
    const failures = [...checkConnection(news.connection), ...checkId("orgId", news.orgId)];
    if (!isUnknown(news.name)) {
        const problem = bucketNameProblem(news.name);
        if (problem) {
            failures.push({ property: "name", reason: `bucket name ${JSON.stringify(news.name)} ${problem}` });
        }
    }
    failures.push(...checkSeconds("retentionSeconds", news.retentionSeconds));
    failures.push(...checkSeconds("shardGroupDurationSeconds", news.shardGroupDurationSeconds));
    const retention = news.retentionSeconds;
    if (typeof retention === "number" && retention > 0 && retention < MIN_RETENTION_SECONDS) {
        failures.push({
            property: "retentionSeconds",
            reason: `retentionSeconds ${retention} is below InfluxDB's minimum of 3600 (1h); use 0 for infinite or at least 3600`,
        });
    }
    const sgd = news.shardGroupDurationSeconds;
    if (typeof retention === "number" && retention > 0 && typeof sgd === "number" && sgd > retention) {
        failures.push({
            property: "shardGroupDurationSeconds",
            reason: `shardGroupDurationSeconds ${sgd} is larger than retentionSeconds ${retention}; make it at most the retention`,
        });
    }
    if (news.shardGroupDurationSeconds === 0) {
        failures.push({
            property: "shardGroupDurationSeconds",
            reason: "shardGroupDurationSeconds must be positive; leave it unset to let the server choose",
        });
    }
    if (news.description !== undefined && !isUnknown(news.description) && typeof news.description !== "string") {
        failures.push({ property: "description", reason: "description must be a string" });
    }
    return failures;
}

/** Fills in defaults so that state and inputs compare equal. */
export function normalizeBucketInputs(news: Record<string, unknown>): Record<string, unknown> {
    return compact({
        ...news,
        retentionSeconds: news.retentionSeconds ?? 0,
        description: news.description ?? "",
        adopt: news.adopt ?? false,
        keepRetentionOnAdopt: news.keepRetentionOnAdopt ?? false,
    });
}

const BUCKET_RULES: readonly DiffRule<Partial<BucketOutputs>, Partial<BucketInputs>>[] = [
    { name: "orgId", old: (o) => o.orgId, new: (n) => n.orgId, replaces: true },
    { name: "name", old: (o) => o.name, new: (n) => n.name },
    { name: "description", old: (o) => o.description ?? "", new: (n) => n.description ?? "" },
    { name: "retentionSeconds", old: (o) => o.retentionSeconds ?? 0, new: (n) => n.retentionSeconds ?? 0 },
    {
        name: "shardGroupDurationSeconds",
        old: (o) => o.shardGroupDurationSeconds,
        new: (n) => n.shardGroupDurationSeconds,
        when: (n, o) => n.shardGroupDurationSeconds !== undefined && !o.shardGroupIgnored,
    },
    { name: "connection", old: (o) => connectionKey(o.connection), new: (n) => connectionKey(n.connection) },
];

/** Pure diff of state against new inputs: the retention of a bucket adopted with its own is not compared. */
export function diffBucket(olds: Partial<BucketOutputs>, news: Partial<BucketInputs>) {
    return diffByRules(olds, keptRetention(olds, news), BUCKET_RULES);
}

/** The inputs with the retention the bucket keeps, while it keeps the one it had when adopted. */
function keptRetention<N extends Partial<BucketInputs>>(olds: Partial<BucketOutputs>, news: N): N {
    return olds.retentionKept && news.keepRetentionOnAdopt
        ? { ...news, retentionSeconds: olds.retentionSeconds, shardGroupDurationSeconds: undefined }
        : news;
}

/** Retention in seconds from the server's rules: [] and everySeconds 0 both mean infinite. */
export function retentionOf(bucket: Pick<ApiBucket, "retentionRules">): { every: number; shardGroup?: number } {
    const rule = (bucket.retentionRules ?? []).find((r) => r.type === undefined || r.type === "expire");
    return { every: rule?.everySeconds ?? 0, shardGroup: rule?.shardGroupDurationSeconds };
}

/**
 * Retention rules to send: everySeconds always travels with the shard-group duration (never one alone). When the
 * user left the shard-group duration to the server and the retention changes (`currentRetentionSeconds` differs),
 * the server's default for the new retention is sent: a server refuses a retention below the current shard groups.
 */
export function retentionRulesFor(
    inputs: Pick<BucketInputs, "retentionSeconds" | "shardGroupDurationSeconds">,
    currentRetentionSeconds?: number,
) {
    const retentionChanges =
        currentRetentionSeconds !== undefined && currentRetentionSeconds !== inputs.retentionSeconds;
    const sgd =
        inputs.shardGroupDurationSeconds ??
        (retentionChanges ? defaultShardGroupSeconds(inputs.retentionSeconds) : undefined);
    return [
        compact({ type: "expire" as const, everySeconds: inputs.retentionSeconds, shardGroupDurationSeconds: sgd }),
    ];
}

/**
 * State from the server's bucket plus the inputs that are not on the server. `written`: `b` is the server's answer to
 * a create or update that sent `inputs`, so whether it kept the shard-group duration is known; otherwise (a read, a
 * lookup) what the state said is kept.
 */
export function bucketOutputs(inputs: BucketInputs, b: ApiBucket, written = false): BucketOutputs {
    const r = retentionOf(b);
    const sent = inputs.shardGroupDurationSeconds;
    const ignored = written
        ? sent !== undefined && r.shardGroup !== sent
        : (inputs as Partial<BucketOutputs>).shardGroupIgnored === true;
    return compact({
        ...inputs,
        bucketId: b.id ?? "",
        orgId: b.orgID ?? inputs.orgId,
        name: b.name,
        description: b.description ?? "",
        retentionSeconds: r.every,
        shardGroupDurationSeconds: r.shardGroup ?? 0,
        createdAt: b.createdAt,
        shardGroupIgnored: ignored || undefined,
    });
}

/**
 * Sends a bucket's retention with `send`: as 2.7 wants it, and again as an empty `retentionRules` when an InfluxDB
 * 2.0.0–2.0.4 refuses infinite retention as a rule (422 "expiration seconds must be greater than or equal to one
 * second": `retentionRule.RetentionPeriod`, tenant/http_server_bucket.go of influxdata/influxdb v2.0.4). Those
 * servers read an empty list as infinite on a create and an update alike; 2.7 leaves the retention alone on an empty
 * update, so the list is empty only for them.
 */
async function sendRetention(
    inputs: Pick<BucketInputs, "retentionSeconds" | "shardGroupDurationSeconds">,
    currentRetentionSeconds: number | undefined,
    send: (rules: ReturnType<typeof retentionRulesFor> | []) => Promise<ApiBucket>,
): Promise<ApiBucket> {
    try {
        return await send(retentionRulesFor(inputs, currentRetentionSeconds));
    } catch (e) {
        const refusedInfinite =
            isInfluxApiError(e) &&
            e.status === 422 &&
            /expiration seconds must be greater than or equal to one second/.test(e.message);
        if (inputs.retentionSeconds === 0 && refusedInfinite) {
            return send([]);
        }
        throw e;
    }
}

function needsUpdate(inputs: BucketInputs, b: ApiBucket): boolean {
    const out = bucketOutputs(inputs, b);
    return diffBucket(out, inputs).changes;
}

async function findByName(conn: Connection, orgId: string, name: string): Promise<ApiBucket | undefined> {
    // InfluxDB answers a name filter that matches nothing with 404 "bucket not found", not an empty list.
    const list = await readApi(conn, `look up bucket "${name}"`, (a) => a.buckets.getBuckets({ orgID: orgId, name }));
    return (list?.buckets ?? []).find((b) => b.name === name);
}

async function patchBucket(inputs: BucketInputs, id: string, currentRetentionSeconds: number): Promise<ApiBucket> {
    return sendRetention(inputs, currentRetentionSeconds, (retentionRules) =>
        writeApi(inputs.connection, `update bucket "${inputs.name}"`, (a) =>
            a.buckets.patchBucketsID({
                bucketID: id,
                body: { name: inputs.name, description: inputs.description, retentionRules },
            }),
        ),
    );
}

/** Creates (or adopts) the bucket. */
export async function createBucket(inputs: BucketInputs): Promise<{ id: string; outs: BucketOutputs }> {
    const conn = inputs.connection;
    let bucket: ApiBucket;
    try {
        bucket = await sendRetention(inputs, undefined, (retentionRules) =>
            writeApi(
                conn,
                `create bucket "${inputs.name}"`,
                (a) =>
                    a.buckets.postBuckets({
                        body: compact({
                            orgID: inputs.orgId,
                            name: inputs.name,
                            description: inputs.description || undefined,
                            retentionRules,
                        }),
                    }),
                // A create whose answer was lost may have been applied: find it instead of creating a duplicate.
                () => findByName(conn, inputs.orgId, inputs.name),
            ),
        );
        return { id: bucket.id ?? "", outs: bucketOutputs(inputs, bucket, true) };
    } catch (e) {
        if ((e as { status?: number }).status !== 422 || (e as { code?: string }).code !== "conflict") {
            throw e;
        }
        if (!inputs.adopt) {
            throw new Error(
                `bucket "${inputs.name}" already exists in organization ${inputs.orgId}. ` +
                    `Set adopt: true to take it over (its data is kept), or choose another bucket name. ` +
                    `(pulumi import cannot take over this dynamic resource: pulumi/pulumi#16175.)`,
            );
        }
        const existing = await findByName(conn, inputs.orgId, inputs.name);
        if (!existing?.id) {
            throw e;
        }
        bucket = existing;
        if (inputs.keepRetentionOnAdopt) {
            // Adopted with the retention it has: only the name and description are the stack's.
            const kept = {
                ...inputs,
                retentionSeconds: retentionOf(existing).every,
                shardGroupDurationSeconds: undefined,
            };
            return { id: existing.id ?? "", outs: { ...(await settle(kept, existing)), retentionKept: true } };
        }
    }
    return { id: bucket.id ?? "", outs: await settle(inputs, bucket) };
}

/** Brings an adopted bucket to the inputs (a created one already is) and returns its state. */
async function settle(inputs: BucketInputs, bucket: ApiBucket): Promise<BucketOutputs> {
    const id = bucket.id ?? "";
    if (!needsUpdate(inputs, bucket)) {
        return bucketOutputs(inputs, bucket);
    }
    try {
        return bucketOutputs(inputs, await patchBucket(inputs, id, retentionOf(bucket).every), true);
    } catch (e) {
        // Record the adopted bucket so the next `pulumi up` converges (update) instead of failing again.
        throw Object.assign(new Error((e as Error).message), {
            id,
            properties: bucketOutputs(inputs, bucket),
            reasons: [(e as Error).message],
        });
    }
}

/** Reads the bucket for refresh; undefined when it was deleted outside Pulumi. */
export async function readBucket(
    id: string,
    props: BucketOutputs,
): Promise<{ id: string; props: BucketOutputs; inputs: BucketInputs } | undefined> {
    const b = await readListed<ApiBucket>(props.connection, "buckets", props.orgId, id, `read bucket ${id}`, (a) =>
        a.buckets.getBucketsID({ bucketID: id }),
    );
    if (!b) {
        return undefined;
    }
    const outs = bucketOutputs(props, b);
    const inputs: BucketInputs = compact({
        connection: props.connection,
        orgId: outs.orgId,
        name: outs.name,
        retentionSeconds: outs.retentionSeconds,
        // Keep the user's choice: set -> the server's current value; unset -> stays unset (server default).
        shardGroupDurationSeconds:
            (props as Partial<BucketInputs>).shardGroupDurationSeconds === undefined
                ? undefined
                : outs.shardGroupDurationSeconds,
        description: outs.description,
        adopt: props.adopt ?? false,
        keepRetentionOnAdopt: props.keepRetentionOnAdopt ?? false,
    });
    return { id, props: outs, inputs };
}

/** Updates name, description and retention in place. */
export async function updateBucket(id: string, olds: BucketOutputs, news: BucketInputs): Promise<BucketOutputs> {
    const effective = keptRetention(olds, news);
    const outs = bucketOutputs(effective, await patchBucket(effective, id, olds.retentionSeconds), true);
    return effective === news ? outs : { ...outs, retentionKept: true };
}

/** Deletes the bucket; already gone is success. */
export async function deleteBucket(id: string, props: BucketOutputs): Promise<void> {
    await deleteApi(props.connection, `delete bucket "${props.name}" (${id})`, (a) =>
        a.buckets.deleteBucketsID({ bucketID: id }),
    );
}

export const bucketProvider = influxProvider<BucketInputs, BucketOutputs>({
    check: checkBucket,
    normalize: normalizeBucketInputs,
    diff: diffBucket,
    create: createBucket,
    read: readBucket,
    update: updateBucket,
    delete: deleteBucket,
});
