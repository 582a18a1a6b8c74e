// Task: the resource class and its args, what programs import. Its provider (what the plugin runs) is task-provider.ts.
import * as pulumi from "@pulumi/pulumi";
import { TaskStatus } from "./influx-rules";
import { InfluxResource, InfluxResourceArgs } from "./resource";

/** Arguments of a Task. */
export interface TaskArgs extends InfluxResourceArgs {
    /** The Flux script, starting with a literal `option task = {name: "...", every: 1h}` (or `cron`). */
    readonly flux: pulumi.Input<string>;
    /** `active` (default) or `inactive`. */
    readonly status?: pulumi.Input<TaskStatus>;
    /** Free-text description. Default empty. */
    readonly description?: pulumi.Input<string>;
    /** Take over the one existing task with the same name instead of creating another. Default false. */
    readonly adopt?: pulumi.Input<boolean>;
}

/** An InfluxDB task. Its Pulumi ID is the task ID. */
export class Task extends InfluxResource {
    /** The task ID. */
    declare public readonly taskId: pulumi.Output<string>;
    /** Name from the `option task` header. */
    declare public readonly taskName: pulumi.Output<string>;
    /** The flux stored by the server. */
    declare public readonly flux: pulumi.Output<string>;
    /** `active` or `inactive`. */
    declare public readonly status: pulumi.Output<TaskStatus>;
    /** Schedule interval from the header, if any. */
    declare public readonly every: pulumi.Output<string | undefined>;
    /** Cron schedule from the header, if any. */
    declare public readonly cron: pulumi.Output<string | undefined>;
    /** Offset from the header, if any. */
    declare public readonly offset: pulumi.Output<string | undefined>;
    /** Status of the last run (`success`, `failed`, `canceled`), after a refresh. */
    declare public readonly lastRunStatus: pulumi.Output<string | undefined>;
    /** Error of the last run, after a refresh. */
    declare public readonly lastRunError: pulumi.Output<string | undefined>;

    constructor(name: string, args: TaskArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = ["taskId", "taskName", "every", "cron", "offset", "lastRunStatus", "lastRunError"];
        super("Task", name, args, outputs, opts);
    }
}
