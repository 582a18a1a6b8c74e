// Backfill: the resource class and its args, what programs import. Its provider (what the plugin runs) is backfill-provider.ts.
import * as pulumi from "@pulumi/pulumi";
import { InfluxResource, InfluxResourceArgs } from "./resource";

/** Arguments of a Backfill. */
export interface BackfillArgs extends InfluxResourceArgs {
    /** The Flux query to run once (no `option task`). A change runs it again. */
    readonly flux: pulumi.Input<string>;
    /** What it backfills, for people reading the state. */
    readonly description?: pulumi.Input<string>;
}

/** Runs a Flux query once (a backfill); see the file header for idempotence. */
export class Backfill extends InfluxResource {
    /** When the query ran (ISO 8601). */
    declare public readonly ranAt: pulumi.Output<string>;

    constructor(name: string, args: BackfillArgs, opts?: pulumi.CustomResourceOptions) {
        super("Backfill", name, args, ["ranAt"], opts);
    }
}
