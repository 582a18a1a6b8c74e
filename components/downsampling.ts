// Downsampling tasks for Flagsmith's InfluxDB analytics: spec types, Flux generation in the shape of Flagsmith's
// docs ("Using InfluxDB for Analytics"), validation, and extraction of the buckets a script reads and writes.
import { analyzeFlux } from "../dynamic-providers/flux/analyzer";
import { BucketReferences, bucketsReferenced } from "../dynamic-providers/flux/references";
import { durationToSeconds, goDurationProblem, parseTaskOption } from "../dynamic-providers/flux/task-option";
import { bucketNameProblem } from "../dynamic-providers/influx-rules";

export { bucketsReferenced };
export type { BucketReferences };

/** Aggregates a downsampling task may apply per window (Flux functions of the same name). */
export const DOWNSAMPLING_AGGREGATES = ["sum", "mean", "max", "min", "count", "last"] as const;
export type DownsamplingAggregate = (typeof DOWNSAMPLING_AGGREGATES)[number];

/** A downsampling task generated from parameters. */
export interface DownsamplingTaskSpec {
    /** Task name in InfluxDB (also written into `option task`). Non-empty; unique within the organization. */
    readonly name: string;
    /** Bucket the raw points are read from. A valid bucket name (no leading `_`, no quotes). */
    readonly sourceBucket: string;
    /** Only points of this measurement (`_measurement`) are downsampled. Non-empty. */
    readonly measurement: string;
    /** If set, only this field (`_field`) is downsampled. Non-empty when set. Default: every field. */
    readonly field?: string;
    /**
     * If set, the data is regrouped by these columns before aggregation (`group(columns: [...])`), which drops the
     * other columns; re-add constant ones with `setColumns`. Default: keep the series as stored.
     */
    readonly groupColumns?: readonly string[];
    /**
     * Flux duration used both as the task schedule (`every`) and as the aggregation window, e.g. `15m`, `1h`.
     * Whole seconds, at least `1s`; `mo` and `y` are not allowed (no fixed length).
     */
    readonly every: string;
    /** Aggregate applied per window. Default: `sum`. */
    readonly aggregate?: DownsamplingAggregate;
    /** Bucket the downsampled points are written to. A valid bucket name, different from `sourceBucket`. */
    readonly destinationBucket: string;
    /** Delay after each `every` boundary before the task runs (Flux duration, whole seconds). Default: none. */
    readonly offset?: string;
    /** Task status in InfluxDB. Default: `active`. */
    readonly status?: "active" | "inactive";
    /**
     * Columns set to constant values after aggregation (`set(key, value)`, in insertion order), e.g. `_measurement`
     * and `_field` after a `group` that dropped them. Keys non-empty. Default: none.
     */
    readonly setColumns?: Readonly<Record<string, string>>;
}

/** A downsampling task whose Flux is supplied by the user. */
export interface RawDownsamplingTaskSpec {
    /** Task name. Must equal the `name` in the script's `option task`. */
    readonly name: string;
    /** The complete Flux script, including its `option task = {...}` header. */
    readonly flux: string;
    /** Task status in InfluxDB. Default: `active`. */
    readonly status?: "active" | "inactive";
}

export type DownsamplingTask = DownsamplingTaskSpec | RawDownsamplingTaskSpec;

export function isRawDownsamplingTask(task: DownsamplingTask): task is RawDownsamplingTaskSpec {
    return "flux" in task;
}

/** Escapes a value for use inside a Flux string literal (quotes, backslashes, `${` interpolation, control chars). */
export function escapeFluxString(value: string): string {
    return value
        .replace(/\\/g, "\\\\")
        .replace(/"/g, '\\"')
        .replace(/\$\{/g, "\\${")
        .replace(/\n/g, "\\n")
        .replace(/\r/g, "\\r")
        .replace(/\t/g, "\\t");
}

function fluxString(value: string): string {
    return `"${escapeFluxString(value)}"`;
}

function filterLines(predicate: string): string[] {
    return [" |> filter(fn: (r) =>", `  (${predicate}))`];
}

/**
 * The Flux script of a task: the `option task` header, then the docs' two pipelines (select the raw points over
 * twice the schedule interval; aggregate per window and write). A raw spec's Flux is returned unchanged.
 */
export function renderDownsamplingFlux(spec: DownsamplingTask): string {
    if (isRawDownsamplingTask(spec)) return spec.flux;
    const options = [`name: ${fluxString(spec.name)}`, `every: ${spec.every}`];
    if (spec.offset !== undefined) options.push(`offset: ${spec.offset}`);
    return (
        [`option task = {${options.join(", ")}}`, "", ...pipelines(spec, "-duration(v: int(v: task.every) * 2)")].join(
            "\n",
        ) + "\n"
    );
}

/**
 * A one-off query that runs a generated task's downsampling over the past `range` (a Flux duration, e.g. `14d`), for
 * a backfill. Only completed windows, aligned to the task's `every`: from the window boundary at or before
 * now - range to the last boundary before now. Each point it writes (at a window's stop, `aggregateWindow`'s
 * `_time`) is the one the task writes for that window, with the same series and timestamp, so the task's later runs
 * and a second backfill overwrite it with the same value instead of adding to it. The window in progress is left to
 * the task: a backfill that wrote it would leave a partial sum at `now()` beside the task's full one at the boundary.
 */
export function renderBackfillFlux(spec: DownsamplingTaskSpec, range: string): string {
    const start = `date.truncate(t: -${range}, unit: ${spec.every})`;
    const stop = `date.truncate(t: now(), unit: ${spec.every})`;
    return ['import "date"', "", ...pipelines(spec, start, stop)].join("\n") + "\n";
}

/** Select the raw points from `start` (to `stop`, else now), then aggregate per window and write. */
function pipelines(spec: DownsamplingTaskSpec, start: string, stop?: string): string[] {
    const select = [
        `data = from(bucket: ${fluxString(spec.sourceBucket)})`,
        ` |> range(start: ${start}${stop === undefined ? "" : `, stop: ${stop}`})`,
        ...filterLines(`r._measurement == ${fluxString(spec.measurement)}`),
        ...(spec.field !== undefined ? filterLines(`r._field == ${fluxString(spec.field)}`) : []),
        ...(spec.groupColumns !== undefined
            ? [` |> group(columns: [${spec.groupColumns.map(fluxString).join(", ")}])`]
            : []),
    ];
    const write = [
        "data",
        ` |> aggregateWindow(fn: ${spec.aggregate ?? "sum"}, every: ${spec.every})`,
        ...filterLines("exists r._value"),
        ...Object.entries(spec.setColumns ?? {}).map(
            ([key, value]) => ` |> set(key: ${fluxString(key)}, value: ${fluxString(value)})`,
        ),
        ` |> to(bucket: ${fluxString(spec.destinationBucket)})`,
    ];
    return [...select, "", ...write];
}

/** The four tasks of Flagsmith's docs, reading `rawBucket` and writing `<rawBucket>_downsampled_15m` / `_1h`. */
export function defaultDownsamplingTasks(rawBucket: string): DownsamplingTaskSpec[] {
    const common = { sourceBucket: rawBucket, aggregate: "sum" } as const;
    const every15m = { ...common, every: "15m", destinationBucket: `${rawBucket}_downsampled_15m` } as const;
    const every1h = { ...common, every: "1h", destinationBucket: `${rawBucket}_downsampled_1h` } as const;
    return [
        { ...every15m, name: "Downsample (API Requests)", measurement: "api_call" },
        { ...every15m, name: "Downsample (Flag Evaluations)", measurement: "feature_evaluation" },
        { ...every1h, name: "Downsample API 1h", measurement: "api_call" },
        {
            ...every1h,
            name: "Downsample API 1h - Flag Analytics",
            measurement: "feature_evaluation",
            field: "request_count",
            groupColumns: ["feature_id", "environment_id"],
            setColumns: { _measurement: "feature_evaluation", _field: "request_count" },
        },
    ];
}

/**
 * Problems with a spec, each naming the task and the field; empty when the spec is usable. Checks values only
 * (the generated Flux is checked by `checkDownsamplingTask`). Tolerates specs of the wrong shape from untyped input.
 */
export function validateSpec(spec: DownsamplingTask): string[] {
    if (typeof spec !== "object" || spec === null) return ["downsampling task: spec must be an object"];
    const label = `downsampling task ${typeof spec.name === "string" ? JSON.stringify(spec.name) : "(unnamed)"}`;
    const problems = isRawDownsamplingTask(spec) ? rawSpecProblems(spec) : specProblems(spec);
    if (typeof spec.name !== "string" || spec.name.trim() === "") problems.unshift("name: must be a non-empty string");
    if (spec.status !== undefined && spec.status !== "active" && spec.status !== "inactive") {
        problems.push(`status: must be "active" or "inactive", got ${JSON.stringify(spec.status)}`);
    }
    return problems.map((problem) => `${label}: ${problem}`);
}

function specProblems(spec: DownsamplingTaskSpec): string[] {
    const problems = [
        bucketProblem("sourceBucket", spec.sourceBucket),
        bucketProblem("destinationBucket", spec.destinationBucket),
        nonEmptyProblem("measurement", spec.measurement),
        spec.field === undefined ? undefined : nonEmptyProblem("field", spec.field),
        durationProblem("every", spec.every, 1),
        spec.offset === undefined ? undefined : offsetProblem(spec.offset),
        groupColumnsProblem(spec.groupColumns),
        setColumnsProblem(spec.setColumns),
    ];
    if (spec.aggregate !== undefined && !(DOWNSAMPLING_AGGREGATES as readonly string[]).includes(spec.aggregate)) {
        problems.push(
            `aggregate: unknown aggregate ${JSON.stringify(spec.aggregate)} (one of ${DOWNSAMPLING_AGGREGATES.join(", ")})`,
        );
    }
    if (spec.sourceBucket === spec.destinationBucket && typeof spec.sourceBucket === "string") {
        problems.push(`destinationBucket: must differ from sourceBucket ("${spec.sourceBucket}")`);
    }
    return problems.filter((p): p is string => p !== undefined);
}

function rawSpecProblems(spec: RawDownsamplingTaskSpec): string[] {
    if (typeof spec.flux !== "string" || spec.flux.trim() === "") return ["flux: must be a non-empty script"];
    const header = parseTaskOption(spec.flux);
    if (!header.ok) return [`flux: ${header.error}`];
    if (header.name !== spec.name) {
        return [`flux: option task name ${JSON.stringify(header.name)} differs from the task name`];
    }
    return [];
}

function nonEmptyProblem(field: string, value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? undefined : `${field}: must be a non-empty string`;
}

function bucketProblem(field: string, value: unknown): string | undefined {
    const problem = bucketNameProblem(value);
    return problem === undefined ? undefined : `${field}: bucket name ${JSON.stringify(value)} ${problem}`;
}

/** A task offset: a whole, non-negative number of seconds, in a Go duration's units (see goDurationProblem). */
function offsetProblem(value: unknown): string | undefined {
    const problem = durationProblem("offset", value, 0);
    if (problem) return problem;
    const unit = goDurationProblem(String(value));
    return unit ? `offset: ${unit}` : undefined;
}

function durationProblem(field: string, value: unknown, minSeconds: number): string | undefined {
    let seconds: number;
    try {
        seconds = durationToSeconds(value as string);
    } catch (e) {
        return `${field}: ${(e as Error).message}`;
    }
    if (!Number.isInteger(seconds)) return `${field}: must be a whole number of seconds, got ${String(value)}`;
    if (seconds < minSeconds) return `${field}: must be at least ${minSeconds}s, got ${String(value)}`;
    return undefined;
}

function groupColumnsProblem(columns: unknown): string | undefined {
    if (columns === undefined) return undefined;
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string" || c === "")) {
        return "groupColumns: must be an array of non-empty column names";
    }
    return new Set(columns).size === columns.length ? undefined : "groupColumns: contains duplicates";
}

function setColumnsProblem(columns: unknown): string | undefined {
    if (columns === undefined) return undefined;
    if (typeof columns !== "object" || columns === null || Array.isArray(columns)) {
        return "setColumns: must be a record of column name to string value";
    }
    const bad = Object.entries(columns).find(([key, value]) => key === "" || typeof value !== "string");
    return bad ? `setColumns: column ${JSON.stringify(bad[0])} needs a non-empty name and a string value` : undefined;
}

/**
 * Full check of a task: `validateSpec`, then the generated (or raw) Flux through the analyzer, and its `option task`
 * against the spec. Every message names the task; an empty result means the task can be created.
 */
export async function checkDownsamplingTask(spec: DownsamplingTask): Promise<string[]> {
    const problems = validateSpec(spec);
    if (problems.length > 0) return problems;
    const label = `downsampling task ${JSON.stringify(spec.name)}`;
    const flux = renderDownsamplingFlux(spec);
    const errors = (await analyzeFlux(flux)).filter((d) => d.severity === "error");
    if (errors.length > 0) {
        return errors.map((d) => `${label}: Flux error at line ${d.line}, column ${d.column}: ${d.message}`);
    }
    if (isRawDownsamplingTask(spec)) return [];
    const header = parseTaskOption(flux);
    const matches =
        header.ok && header.name === spec.name && header.every === spec.every && header.offset === spec.offset;
    return matches ? [] : [`${label}: generated option task does not match the spec (${JSON.stringify(header)})`];
}
