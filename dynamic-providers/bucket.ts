// Bucket: the resource class and its args, what programs import. Its provider (what the plugin runs) is bucket-provider.ts.
import * as pulumi from "@pulumi/pulumi";
import { InfluxResource, InfluxResourceArgs } from "./resource";

/** Arguments of a Bucket. */
export interface BucketArgs extends InfluxResourceArgs {
    /** Bucket name: not empty, at most 255 characters, no leading `_`, no `"`. Renamed in place. */
    readonly name: pulumi.Input<string>;
    /** Retention, in seconds. Default 0 = infinite; otherwise at least 3600 (InfluxDB's 1h minimum). */
    readonly retentionSeconds?: pulumi.Input<number>;
    /** Shard-group duration, in seconds. Default: chosen by the server from the retention. At most the retention. */
    readonly shardGroupDurationSeconds?: pulumi.Input<number>;
    /** Free-text description. Default empty. */
    readonly description?: pulumi.Input<string>;
    /** Take over an existing bucket of the same name (then set it to these settings) instead of failing. Default false. */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * With `adopt`: an adopted bucket keeps the retention it has (and its shard-group duration) instead of taking
     * `retentionSeconds`, which then applies only to a bucket this resource creates. Default false. Meant for a
     * retention the user did not choose: adopting must not expire points the bucket kept (a manual install's buckets
     * are often infinite).
     */
    readonly keepRetentionOnAdopt?: pulumi.Input<boolean>;
}

/** An InfluxDB bucket. Its Pulumi ID is the bucket ID. */
export class Bucket extends InfluxResource {
    /** The bucket ID. */
    declare public readonly bucketId: pulumi.Output<string>;
    /** Bucket name. */
    declare public readonly name: pulumi.Output<string>;
    /** Owning organization ID. */
    declare public readonly orgId: pulumi.Output<string>;
    /** Retention in seconds (0 = infinite). */
    declare public readonly retentionSeconds: pulumi.Output<number>;
    /** Shard-group duration in seconds as used by the server. */
    declare public readonly shardGroupDurationSeconds: pulumi.Output<number>;
    /** Description. */
    declare public readonly description: pulumi.Output<string>;

    constructor(name: string, args: BucketArgs, opts?: pulumi.CustomResourceOptions) {
        super("Bucket", name, args, ["bucketId", "createdAt"], opts);
    }
}
