// The analytics store Flagsmith reads: three buckets, the downsampling tasks, a least-privilege token, and the
// four INFLUXDB_* variables. Pure planning (task list, bucket names, checks) is separate from the component.
import * as pulumi from "@pulumi/pulumi";
import { FlagsmithInfluxEnv, InfluxConnection } from "./connection";
import {
    checkDownsamplingTask,
    defaultDownsamplingTasks,
    DownsamplingTask,
    DownsamplingTaskSpec,
    isRawDownsamplingTask,
    renderBackfillFlux,
    renderDownsamplingFlux,
} from "./downsampling";
import { settingError } from "./errors";
import { managementConnection } from "./influxdb-common";
import { Authorization } from "../dynamic-providers/authorization";
import { Backfill } from "../dynamic-providers/backfill";
import { Bucket } from "../dynamic-providers/bucket";
import { ConnectionArgs } from "../dynamic-providers/connection";
import { bucketsReferenced } from "../dynamic-providers/flux/references";
import { parseTaskOption } from "../dynamic-providers/flux/task-option";
import { Task } from "../dynamic-providers/task";

const DAY = 86_400;

/** Retention of the three analytics buckets, in seconds (0 = infinite, otherwise at least 3600). */
export interface AnalyticsRetention {
    /** Raw points written by Flagsmith. Default 14 days: the tasks only read the last two windows. */
    readonly rawSeconds: number;
    /** `<bucket>_downsampled_15m`. Default 190 days: Flagsmith's usage views read up to 180 days from it. */
    readonly downsampled15mSeconds: number;
    /** `<bucket>_downsampled_1h`. Default 0 (infinite): small, and read for long-range charts. */
    readonly downsampled1hSeconds: number;
}

export const DEFAULT_RETENTION: AnalyticsRetention = {
    rawSeconds: 14 * DAY,
    downsampled15mSeconds: 190 * DAY,
    downsampled1hSeconds: 0,
};

/** Changes to one of the default tasks, keyed by its name. */
export interface TaskOverride {
    /** Schedule and window, a Flux duration such as `15m`. */
    readonly every?: string;
    /** Delay after each window, a Flux duration such as `1m`. */
    readonly offset?: string;
    /** `inactive` disables the task (it stays defined). */
    readonly status?: "active" | "inactive";
    /** Drop the task entirely. */
    readonly remove?: boolean;
}

/** What the stack says about tasks. */
export interface TaskSettings {
    /** Changes to the default tasks, by task name. */
    readonly overrides?: Readonly<Record<string, TaskOverride>>;
    /** More tasks: generated specs or raw Flux (`{ name, flux }`). */
    readonly extra?: readonly DownsamplingTask[];
}

/** The three bucket names Flagsmith uses for raw bucket `bucket`. */
export function analyticsBucketNames(bucket: string) {
    return { raw: bucket, downsampled15m: `${bucket}_downsampled_15m`, downsampled1h: `${bucket}_downsampled_1h` };
}

/** The task list: the docs' four for `bucket`, with overrides applied, plus extra tasks. */
export function planTasks(bucket: string, settings: TaskSettings = {}): DownsamplingTask[] {
    const overrides = settings.overrides ?? {};
    const defaults = defaultDownsamplingTasks(bucket);
    const unknown = Object.keys(overrides).filter((n) => !defaults.some((t) => t.name === n));
    if (unknown.length > 0) {
        throw settingError(
            `tasks.overrides names unknown task(s) ${unknown.map((n) => JSON.stringify(n)).join(", ")}; ` +
                `the default tasks are ${defaults.map((t) => JSON.stringify(t.name)).join(", ")}`,
        );
    }
    const tasks: DownsamplingTask[] = [];
    for (const t of defaults) {
        const o = overrides[t.name] ?? {};
        if (o.remove) {
            continue;
        }
        const spec: DownsamplingTaskSpec = { ...t, ...pick(o, ["every", "offset", "status"]) };
        tasks.push(spec);
    }
    tasks.push(...(settings.extra ?? []));
    const names = tasks.map((t) => t.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) {
        throw settingError(`tasks: two tasks are named ${JSON.stringify(dup)}; task names must be unique in the stack`);
    }
    return tasks;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
    return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}

/** Result of checking the planned tasks before anything is applied. */
export interface TaskCheckResult {
    /** Fatal problems, each naming the task. */
    readonly errors: string[];
    /** Buckets a script touches that the stack does not declare. */
    readonly warnings: string[];
}

/**
 * Runs every script the program would send through the Flux analyzer and checks its `option task` against the spec;
 * warns about buckets outside `declaredBuckets`. Offline; runs in previews.
 */
export async function checkTasks(
    tasks: readonly DownsamplingTask[],
    declaredBuckets: readonly string[],
): Promise<TaskCheckResult> {
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const t of tasks) {
        const problems = await checkDownsamplingTask(t);
        errors.push(...problems);
        if (problems.length > 0) {
            continue;
        }
        const refs = bucketsReferenced(renderDownsamplingFlux(t));
        for (const b of [...refs.reads, ...refs.writes]) {
            if (!declaredBuckets.includes(b)) {
                warnings.push(
                    `downsampling task ${JSON.stringify(t.name)} uses bucket ${JSON.stringify(b)}, which this stack does not declare (${declaredBuckets.join(", ")})`,
                );
            }
        }
        warnings.push(...refs.unresolved.map((u) => `downsampling task ${JSON.stringify(t.name)}: ${u}`));
        const header = parseTaskOption(renderDownsamplingFlux(t));
        if (header.ok) {
            warnings.push(...(header.ignored ?? []).map((i) => `downsampling task ${JSON.stringify(t.name)}: ${i}`));
        }
    }
    return { errors, warnings };
}

/** Checks the tasks and throws one error listing every problem (used by the program before creating anything). */
export async function assertTasksValid(
    tasks: readonly DownsamplingTask[],
    declaredBuckets: readonly string[],
): Promise<string[]> {
    const { errors, warnings } = await checkTasks(tasks, declaredBuckets);
    if (errors.length > 0) {
        throw settingError(`invalid downsampling task(s):\n  - ${errors.join("\n  - ")}`);
    }
    return warnings;
}

/** Arguments of InfluxAnalytics. */
export interface InfluxAnalyticsArgs {
    /** The InfluxDB to use, from the Docker, Kubernetes or external component. */
    readonly influx: InfluxConnection;
    /** Raw bucket name (plain value: task Flux is generated from it). Default `default`. */
    readonly bucket?: string;
    /**
     * Bucket retentions in seconds, the ones the stack sets. Default: DEFAULT_RETENTION for a bucket it creates; a
     * bucket it adopts (`adopt`) keeps its own retention unless set here.
     */
    readonly retention?: Partial<AnalyticsRetention>;
    /** Downsampling tasks (plain, checked with `assertTasksValid` first). Default: `planTasks(bucket)`. */
    readonly tasks?: readonly DownsamplingTask[];
    /** Take over existing buckets/tasks of the same names (an installation that followed the manual docs). Default false. */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * One-off backfill after the tasks are created: each generated, active task's downsampling is run once over this
     * past range (a Flux duration such as `14d`, usually the raw bucket's retention). Raw-Flux tasks are not
     * backfilled. Runs again only when the range or the task changes. Default: no backfill.
     */
    readonly backfillRange?: string;
    /** Connection timeouts for the dynamic providers, in seconds. Default: the providers' defaults. */
    readonly timeouts?: Pick<
        ConnectionArgs,
        "readyTimeoutSeconds" | "operationTimeoutSeconds" | "requestTimeoutSeconds"
    >;
}

/** Health of one task, from its last refresh. */
export interface TaskHealth {
    readonly status: string;
    readonly lastRunStatus: string;
    readonly lastRunError: string;
}

/** Buckets, downsampling tasks and Flagsmith's token in one InfluxDB, and the environment Flagsmith needs. */
export class InfluxAnalytics extends pulumi.ComponentResource {
    /** The raw, 15-minute and 1-hour buckets. */
    public readonly buckets: { readonly raw: Bucket; readonly downsampled15m: Bucket; readonly downsampled1h: Bucket };
    /** Downsampling tasks by name. */
    public readonly tasks: Readonly<Record<string, Task>>;
    /** One-off backfill queries (empty unless `backfillRange` is set). */
    public readonly backfills: readonly Backfill[];
    /** Flagsmith's least-privilege token. */
    public readonly flagsmithToken: Authorization;
    /** INFLUXDB_URL, INFLUXDB_TOKEN (secret), INFLUXDB_ORG, INFLUXDB_BUCKET. */
    public readonly env: FlagsmithInfluxEnv;
    /** Per task: status, last run status and error (fresh after `pulumi refresh`). */
    public readonly taskHealth: pulumi.Output<Record<string, TaskHealth>>;
    /** Per task name: its InfluxDB task ID (`influx task log list --task-id <id>`). */
    public readonly taskIds: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: InfluxAnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:analytics:InfluxAnalytics", name, {}, opts);
        const influx = args.influx;
        const bucket = args.bucket ?? "default";
        const names = analyticsBucketNames(bucket);
        const retention = { ...DEFAULT_RETENTION, ...args.retention };
        const connection: ConnectionArgs = { ...managementConnection(influx), ...args.timeouts };
        const adopt = pulumi.output(args.adopt ?? false);
        const child: pulumi.CustomResourceOptions = {
            parent: this,
            dependsOn: influx.readiness,
            deletedWith: influx.server,
        };
        const common = { connection, orgId: influx.orgId };

        // A bucket the stack adopts (`adopt`) keeps its own retention unless the stack sets that retention
        // explicitly: adopting must not expire points a manual install kept.
        const bucketResource = (
            suffix: string,
            bucketName: string,
            field: keyof AnalyticsRetention,
            adoptIt: pulumi.Input<boolean>,
            description: string,
        ) =>
            new Bucket(
                `${name}-${suffix}`,
                {
                    ...common,
                    name: bucketName,
                    retentionSeconds: retention[field],
                    adopt: adoptIt,
                    keepRetentionOnAdopt: adopt.apply((a) => a && args.retention?.[field] === undefined),
                    description,
                },
                child,
            );
        // The raw bucket usually exists already (first-boot setup creates it): take it over rather than fail.
        const rawAdopt = pulumi.all([adopt, influx.initialBucket]).apply(([a, initial]) => a || initial === bucket);
        const raw = bucketResource(
            "raw",
            names.raw,
            "rawSeconds",
            rawAdopt,
            "Flagsmith raw analytics (written by Flagsmith)",
        );
        const b15 = bucketResource(
            "15m",
            names.downsampled15m,
            "downsampled15mSeconds",
            adopt,
            "Flagsmith analytics downsampled to 15 minutes",
        );
        const b1h = bucketResource(
            "1h",
            names.downsampled1h,
            "downsampled1hSeconds",
            adopt,
            "Flagsmith analytics downsampled to 1 hour",
        );
        this.buckets = { raw, downsampled15m: b15, downsampled1h: b1h };
        const byName: Record<string, Bucket> = {
            [names.raw]: raw,
            [names.downsampled15m]: b15,
            [names.downsampled1h]: b1h,
        };

        const specs = args.tasks ?? planTasks(bucket);
        const tasks: Record<string, Task> = {};
        for (const spec of specs) {
            const flux = renderDownsamplingFlux(spec);
            const refs = bucketsReferenced(flux);
            // Created after, and deleted before, the buckets they read and write.
            const uses = [...refs.reads, ...refs.writes]
                .map((b) => byName[b])
                .filter((b): b is Bucket => b !== undefined);
            tasks[spec.name] = new Task(
                `${name}-task-${slug(spec.name)}`,
                {
                    ...common,
                    flux,
                    status: spec.status ?? "active",
                    adopt,
                    description: isRawDownsamplingTask(spec)
                        ? "Flagsmith analytics (custom)"
                        : "Flagsmith analytics downsampling",
                },
                { ...child, dependsOn: [...influx.readiness, ...uses] },
            );
        }
        this.tasks = tasks;

        // After its task (itself after the buckets it uses); raw-Flux tasks cannot be rewritten for a past range.
        const range = args.backfillRange;
        this.backfills = (range ? specs : [])
            .filter((spec) => !isRawDownsamplingTask(spec) && spec.status !== "inactive")
            .map(
                (spec) =>
                    new Backfill(
                        `${name}-backfill-${slug(spec.name)}`,
                        {
                            ...common,
                            flux: renderBackfillFlux(spec as DownsamplingTaskSpec, range!),
                            description: `${spec.name} over the last ${range}`,
                        },
                        { ...child, dependsOn: [...influx.readiness, tasks[spec.name]] },
                    ),
            );

        this.flagsmithToken = new Authorization(
            `${name}-flagsmith-token`,
            {
                ...common,
                description: `Flagsmith analytics (${pulumi.getProject()}/${pulumi.getStack()}): write ${names.raw}, read analytics buckets`,
                permissions: [
                    // The Pulumi ID (= bucket ID), not the bucketId output: a preview knows the ID of a bucket being
                    // updated, but not its outputs, so the token would wrongly show as replaced.
                    { action: "write", resource: { type: "buckets", id: raw.id } },
                    { action: "read", resource: { type: "buckets", id: raw.id } },
                    { action: "read", resource: { type: "buckets", id: b15.id } },
                    { action: "read", resource: { type: "buckets", id: b1h.id } },
                ],
            },
            child,
        );

        this.env = {
            INFLUXDB_URL: influx.internalUrl,
            INFLUXDB_TOKEN: pulumi.secret(this.flagsmithToken.token),
            INFLUXDB_ORG: influx.org,
            INFLUXDB_BUCKET: raw.name,
        };
        this.taskHealth = perTask(tasks, (t) =>
            pulumi.all([t.status, t.lastRunStatus, t.lastRunError]).apply(([status, last, err]) => ({
                status: status ?? "",
                lastRunStatus: last ?? "",
                lastRunError: err ?? "",
            })),
        );
        // The Pulumi ID is the task ID (known in a preview for an existing task, unlike the taskId output).
        this.taskIds = perTask(tasks, (t) => t.id);
        this.registerOutputs({
            env: this.env,
            taskHealth: this.taskHealth,
            taskIds: this.taskIds,
            bucketNames: names,
        });
    }
}

/** One Output per task, gathered into an object keyed by task name. */
function perTask<T>(
    tasks: Readonly<Record<string, Task>>,
    value: (task: Task) => pulumi.Output<T>,
): pulumi.Output<Record<string, T>> {
    return pulumi
        .all(Object.entries(tasks).map(([taskName, t]) => value(t).apply((v) => [taskName, v] as const)))
        .apply((entries) => Object.fromEntries(entries) as Record<string, T>);
}

/** A resource-name-safe form of a task name. */
export function slug(name: string): string {
    return name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
}
