// The `option task = {...}` header of an InfluxDB task, read from the official parser's AST as InfluxDB 2.7 reads it
// (task/options/options.go), and the durations it holds.
import { fluxAstErrors, parseFluxAst } from "./analyzer";
import { astChild, astChildren, astStringLiteral, describeAstNode, FluxAstNode, isTaskOptionStatement } from "./ast";

/** The `option task = {...}` header of an InfluxDB task, or why it is unusable. */
export type TaskOptionResult =
    | {
          readonly ok: true;
          readonly name: string;
          /** Duration in source form, e.g. `15m` or `1h30m`. */
          readonly every?: string;
          readonly cron?: string;
          /** Duration in source form. */
          readonly offset?: string;
          /**
           * Properties InfluxDB 2.7 accepts but that change nothing, each with why (`concurrency` and `retry` are
           * parsed and validated but never applied; other keys are ignored). Absent when there are none.
           */
          readonly ignored?: readonly string[];
      }
    | { readonly ok: false; readonly error: string };

/**
 * Reads the `option task = {...}` header from the AST. Every property must be a literal, since InfluxDB extracts
 * the options without evaluating the script: `name` (string), `every` / `offset` (durations), `cron` (string).
 * Exactly one of `every` and `cron` is required. Other properties (including InfluxDB's `concurrency` and `retry`)
 * are rejected because this project does not manage them.
 */
export function parseTaskOption(script: string): TaskOptionResult {
    const statements = astChildren(parseFluxAst(script), "body").filter(isTaskOptionStatement);
    if (statements.length === 0) {
        return { ok: false, error: "option task: no `option task = {...}` statement found" };
    }
    if (statements.length > 1) {
        const lines = statements.map((s) => s.location?.start.line).join(", ");
        return { ok: false, error: `option task: declared more than once (lines ${lines})` };
    }
    const syntaxErrors = fluxAstErrors(statements[0]);
    if (syntaxErrors.length > 0) {
        const first = syntaxErrors[0];
        return { ok: false, error: `option task: syntax error at line ${first.line}: ${first.message}` };
    }
    const record = astChild(astChild(statements[0], "assignment"), "init");
    if (record?.type !== "ObjectExpression" || record.with !== undefined) {
        const got = !record ? "nothing" : record.with ? "a record extension `{x with ...}`" : describeAstNode(record);
        return {
            ok: false,
            error: `option task: value must be a record literal like {name: "...", every: 1h}, got ${got}`,
        };
    }
    const errors: string[] = [];
    const values = readTaskProperties(record, errors);
    if (values.name === undefined && !errors.some((e) => e.includes("`name`"))) {
        errors.push("missing `name`");
    }
    if (values.every === undefined && values.cron === undefined && !errors.some((e) => /`(every|cron)`/.test(e))) {
        errors.push("needs `every` or `cron`");
    }
    if (values.every !== undefined && values.cron !== undefined) {
        errors.push("sets both `every` and `cron`; use exactly one");
    }
    if (errors.length > 0 || values.name === undefined) {
        return { ok: false, error: `option task: ${errors.join("; ")}` };
    }
    const { ignored, ...rest } = values;
    return { ok: true, ...rest, name: values.name, ...(ignored && ignored.length > 0 ? { ignored } : {}) };
}

type TaskValues = { name?: string; every?: string; cron?: string; offset?: string; ignored?: string[] };

/**
 * The units of a Go duration (time.ParseDuration). InfluxDB 2.7 stores a task's offset as one (influxdata/influxdb
 * v2.7.12, kv/task.go `createTask`/`updateTask`: `time.ParseDuration(opts.Offset.String())`), so an offset in the
 * Flux-only units `d`, `w`, `mo` or `y` is refused with a 500 although Flux itself parses it.
 */
export const GO_DURATION_UNITS: readonly string[] = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"];

/** Integer task options the server validates (task/options/options.go `Validate`) but never applies in 2.7. */
const INERT_INTEGER_OPTIONS: Readonly<Record<string, number>> = { concurrency: 100, retry: 10 };

function readTaskProperties(record: FluxAstNode, errors: string[]): TaskValues {
    const values: TaskValues = {};
    const seen = new Set<string>();
    for (const property of astChildren(record, "properties")) {
        const keyNode = astChild(property, "key");
        const key = keyNode?.type === "Identifier" ? String(keyNode.name) : astStringLiteral(keyNode);
        if (key === undefined) {
            errors.push(`unsupported property key ${keyNode ? describeAstNode(keyNode) : ""}`.trim());
            continue;
        }
        if (seen.has(key)) {
            errors.push(`property \`${key}\` is set more than once`);
            continue;
        }
        seen.add(key);
        if (key in INERT_INTEGER_OPTIONS) {
            const problem = inertIntegerProblem(key, astChild(property, "value"));
            if (problem) errors.push(problem);
            else
                (values.ignored ??= []).push(
                    `\`${key}\` is accepted by InfluxDB 2.7 but has no effect (the scheduler never applies it)`,
                );
            continue;
        }
        if (key !== "name" && key !== "every" && key !== "cron" && key !== "offset") {
            // The server's option parser reads only the keys it knows (task/options/options.go) and ignores others.
            (values.ignored ??= []).push(
                `\`${key}\` is not a task option (name, every, cron, offset, concurrency, retry): InfluxDB ignores it`,
            );
            continue;
        }
        const value = astChild(property, "value");
        if (!value) {
            errors.push(`property \`${key}\` has no value`);
            continue;
        }
        const result =
            key === "name" || key === "cron" ? readStringProperty(key, value) : readDurationProperty(key, value);
        if ("error" in result) errors.push(result.error);
        else values[key] = result.value;
    }
    return values;
}

function readStringProperty(key: "name" | "cron", value: FluxAstNode): { value: string } | { error: string } {
    const text = astStringLiteral(value);
    if (text === undefined) {
        return { error: `\`${key}\` must be a string literal, got ${describeAstNode(value)}` };
    }
    if (text.trim() === "") {
        return { error: `\`${key}\` must not be empty` };
    }
    const cronFields = key === "cron" && !text.trim().startsWith("@") ? text.trim().split(/\s+/).length : 5;
    if (cronFields < 5 || cronFields > 7) {
        return { error: `\`cron\` must have 5 to 7 fields (or be a macro such as @hourly), got "${text}"` };
    }
    return { value: text };
}

function readDurationProperty(key: "every" | "offset", value: FluxAstNode): { value: string } | { error: string } {
    if (value.type !== "DurationLiteral" || !Array.isArray(value.values)) {
        return { error: `\`${key}\` must be a duration literal such as 15m, got ${describeAstNode(value)}` };
    }
    const source = value.values
        .map((part: unknown) => {
            const p = part as { magnitude?: unknown; unit?: unknown };
            return `${String(p.magnitude)}${String(p.unit)}`;
        })
        .join("");
    let seconds: number;
    try {
        seconds = durationToSeconds(source);
    } catch (e) {
        return { error: `\`${key}\`: ${(e as Error).message}` };
    }
    if (!Number.isInteger(seconds)) {
        return { error: `\`${key}\` must be a whole number of seconds, got ${source}` };
    }
    if (key === "every" && seconds < 1) {
        return { error: `\`every\` must be at least 1s, got ${source}` };
    }
    if (key === "offset") {
        const problem = goDurationProblem(source);
        if (problem) return { error: `\`offset\`: ${problem}` };
    }
    return { value: source };
}

/**
 * Why a duration cannot be a task offset (see GO_DURATION_UNITS), with the same length in hours; undefined when it
 * can. `1d` → `InfluxDB 2.7 parses a task offset with the units ns, us, ms, s, m and h only: write 24h for 1d`.
 */
export function goDurationProblem(source: string): string | undefined {
    const units = source.match(/[a-zµμ]+/g) ?? [];
    if (units.every((u) => GO_DURATION_UNITS.includes(u))) return undefined;
    let hint = "";
    try {
        const seconds = durationToSeconds(source);
        if (Number.isInteger(seconds) && seconds % 3600 === 0) hint = `: write ${seconds / 3600}h for ${source}`;
    } catch {
        hint = "";
    }
    return `InfluxDB 2.7 parses a task offset with the units ns, us, ms, s, m and h only${hint}`;
}

function inertIntegerProblem(key: string, value: FluxAstNode | undefined): string | undefined {
    const max = INERT_INTEGER_OPTIONS[key];
    if (value?.type !== "IntegerLiteral") {
        return `\`${key}\` must be an integer literal, got ${value ? describeAstNode(value) : "nothing"}`;
    }
    const n = Number(value.value);
    return n >= 1 && n <= max ? undefined : `\`${key}\` must be between 1 and ${max}, got ${n}`;
}

/**
 * Converts a Flux duration literal (e.g. `90s`, `1h30m`, `500ms`; units ns, us, µs, ms, s, m, h, d, w) to seconds,
 * possibly fractional. Months (`mo`) and years (`y`) are valid Flux but have no fixed length, so they are rejected:
 * task schedules and downsampling windows must be comparable. Throws on anything else.
 */
export function durationToSeconds(d: string): number {
    const nanosPerUnit: Record<string, bigint> = {
        ns: 1n,
        us: 1_000n,
        µs: 1_000n,
        ms: 1_000_000n,
        s: 1_000_000_000n,
        m: 60_000_000_000n,
        h: 3_600_000_000_000n,
        d: 86_400_000_000_000n,
        w: 604_800_000_000_000n,
    };
    if (typeof d !== "string" || !/^(\d+(mo|ms|ns|us|µs|y|w|d|h|m|s))+$/.test(d)) {
        throw new Error(`invalid Flux duration "${String(d)}" (expected e.g. 15m, 1h30m, 500ms)`);
    }
    let nanos = 0n;
    for (const [, magnitude, unit] of d.matchAll(/(\d+)(mo|ms|ns|us|µs|y|w|d|h|m|s)/g)) {
        const factor = nanosPerUnit[unit];
        if (factor === undefined) {
            throw new Error(`duration "${d}" uses "${unit}", which has no fixed length; use d or w instead`);
        }
        nanos += BigInt(magnitude) * factor;
    }
    return Number(nanos) / 1e9;
}
