// A reader and writer for the `option task = {...}` record of a Flux script, reproducing what InfluxDB 2.7's task
// service does with it (options.FromScriptAST, TaskUpdate.UpdateFlux). The record is found in the AST of the official
// Flux parser (dynamic-providers/flux), as the server finds it in its own.
//
// Deviation from the server, on purpose: when a PATCH changes name/every/cron/offset, the server rewrites the record
// and re-formats the WHOLE script (ast.Format); the stand-in rewrites only the record, leaving the rest verbatim.
import {
    astChild,
    astChildren,
    astStringLiteral,
    FluxAstNode,
    isTaskOptionStatement,
    parseFluxAst,
} from "../../dynamic-providers/flux";
/** The task options the server derives from a script. */
export interface TaskOptions {
    readonly name: string;
    /** Flux duration literal as written, e.g. `15m`. */
    readonly every?: string;
    readonly cron?: string;
    /** Offset as written (a Flux duration literal, maybe negative), e.g. `5m`. */
    readonly offset?: string;
    readonly concurrency?: number;
    readonly retry?: number;
}

/** Option changes of a task PATCH. An `offset` of "" or a zero duration removes the offset. */
export interface TaskOptionsUpdate {
    readonly name?: string;
    readonly every?: string;
    readonly cron?: string;
    readonly offset?: string;
}

/** An error of the option parser; the server answers it with 400 "invalid". */
export class TaskOptionsError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// The option record, read from the official Flux parser's AST (as options.FromScriptAST reads it)
// ---------------------------------------------------------------------------------------------------------------

interface RecordProperty {
    readonly key: string;
    /** Source text of the key and of the value. */
    readonly keyText: string;
    readonly valueText: string;
    readonly value?: FluxAstNode;
}

interface OptionRecord {
    /** Source span of the record literal, braces included. */
    readonly start: number;
    readonly end: number;
    readonly properties: readonly RecordProperty[];
}

/** The offset in `src` where `node` starts, from its 1-based line and column (checked against its source text). */
function offsetOf(src: string, node: FluxAstNode): number {
    const loc = node.location;
    if (!loc) return -1;
    let lineStart = 0;
    for (let line = 1; line < loc.start.line; line++) lineStart = src.indexOf("\n", lineStart) + 1;
    const at = lineStart + loc.start.column - 1;
    const text = loc.source ?? "";
    return src.startsWith(text, at) ? at : src.indexOf(text, lineStart);
}

function readProperty(property: FluxAstNode): RecordProperty {
    const keyNode = astChild(property, "key");
    const key = astStringLiteral(keyNode) ?? String(keyNode?.name ?? "");
    const value = astChild(property, "value");
    return {
        key,
        keyText: keyNode?.location?.source ?? key,
        valueText: value?.location?.source ?? "",
        value,
    };
}

function findTaskOption(flux: string): OptionRecord {
    const statements = astChildren(parseFluxAst(flux), "body").filter(isTaskOptionStatement);
    if (statements.length === 0) {
        throw new TaskOptionsError("no task options defined");
    }
    if (statements.length > 1) {
        throw new TaskOptionsError("multiple task options defined");
    }
    const record = astChild(astChild(statements[0], "assignment"), "init");
    if (record?.type !== "ObjectExpression") {
        throw new TaskOptionsError(
            `task option expected to be object literal, but found "${record?.type ?? "BadExpression"}"`,
        );
    }
    const start = offsetOf(flux, record);
    return {
        start,
        end: start + (record.location?.source ?? "").length,
        properties: astChildren(record, "properties").map(readProperty),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------------------------------------

const UNIT_SECONDS: Readonly<Record<string, number>> = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    μs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400,
    w: 7 * 86400,
    mo: 30 * 86400,
    y: 365 * 86400,
};
const GO_UNITS = new Set(["ns", "us", "µs", "μs", "ms", "s", "m", "h"]);

/** Seconds in a Flux duration literal (`1h30m`, `-5m`); months and years count as 30 and 365 days. */
export function fluxDurationSeconds(literal: string): number | undefined {
    const match = /^(-?)((?:\d+(?:mo|ms|us|µs|μs|ns|y|w|d|h|m|s))+)$/.exec(literal.trim());
    if (!match) {
        return undefined;
    }
    let seconds = 0;
    for (let rest = match[2]; rest !== "";) {
        const [, amount, unit] = /^(\d+)(mo|ms|us|µs|μs|ns|y|w|d|h|m|s)/.exec(rest)!;
        seconds += Number(amount) * UNIT_SECONDS[unit];
        rest = rest.slice(amount.length + unit.length);
    }
    return match[1] ? -seconds : seconds;
}

/**
 * The offset as the server stores it, a Go duration: time.ParseDuration refuses Flux-only units such as `d`, and the
 * task service answers 400 "unexpected error parsing time: ...".
 */
export function goDurationSeconds(literal: string): number {
    const units = literal.match(/(mo|ms|us|µs|μs|ns|y|w|d|h|m|s)/g) ?? [];
    const foreign = units.find((u) => !GO_UNITS.has(u));
    if (foreign !== undefined) {
        throw new TaskOptionsError(
            `unexpected error parsing time: time: unknown unit "${foreign}" in duration "${literal}"`,
        );
    }
    return fluxDurationSeconds(literal) ?? 0;
}

/** customParseDuration of the task HTTP handler: `1h30m`, `5m`, `-10s`; zero components omitted. */
export function formatOffset(seconds: number): string {
    const sign = seconds < 0 ? "-" : "";
    let rest = Math.abs(seconds);
    let out = "";
    for (const [unit, size] of [
        ["h", 3600],
        ["m", 60],
        ["s", 1],
    ] as const) {
        const amount = Math.floor(rest / size);
        rest -= amount * size;
        out += amount !== 0 ? `${amount}${unit}` : "";
    }
    return out === "" ? "" : `${sign}${out}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Extraction and validation (options.FromScriptAST + Options.Validate)
// ---------------------------------------------------------------------------------------------------------------

const CRON_DESCRIPTORS = /^@(yearly|annually|monthly|weekly|daily|hourly|midnight)$/;
const CRON_FIELD = /^[0-9A-Za-z*?/,\-#LW]+$/;

function cronProblem(cron: string): string | undefined {
    const trimmed = cron.trim();
    if (CRON_DESCRIPTORS.test(trimmed) || /^@every\s+\S+$/.test(trimmed)) {
        return undefined;
    }
    const fields = trimmed.split(/\s+/);
    if (fields.length < 5 || fields.length > 7) {
        return `cron expression must have 5 to 7 fields, got ${fields.length}`;
    }
    const bad = fields.find((f) => !CRON_FIELD.test(f));
    return bad === undefined ? undefined : `invalid cron field "${bad}"`;
}

function property(record: OptionRecord, key: string): RecordProperty | undefined {
    return record.properties.find((p) => p.key === key);
}

const fieldError = (field: string) => new TaskOptionsError(`failed to parse field '${field}' in task options`);

function stringOption(record: OptionRecord, key: string): string | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    const value = astStringLiteral(p.value);
    if (value === undefined) {
        throw fieldError(key);
    }
    return value;
}

function durationOption(record: OptionRecord, key: string, signed: boolean): string | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    const negative = signed && p.value?.type === "UnaryExpression" && p.value.operator === "-";
    const literal = negative ? astChild(p.value, "argument") : p.value;
    if (literal?.type !== "DurationLiteral" || !literal.location?.source) {
        throw fieldError(key);
    }
    return negative ? `-${literal.location.source}` : literal.location.source;
}

function integerOption(record: OptionRecord, key: string): number | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    if (p.value?.type !== "IntegerLiteral") {
        throw fieldError(key);
    }
    return Number(p.value.value);
}

function scheduleOf(record: OptionRecord): { every?: string; cron?: string } {
    const hasCron = property(record, "cron") !== undefined;
    const hasEvery = property(record, "every") !== undefined;
    if (hasCron && hasEvery) {
        throw new TaskOptionsError("cannot use both cron and every in task options");
    }
    if (!hasCron && !hasEvery) {
        throw new TaskOptionsError("missing required option: 'cron or every'");
    }
    return hasCron ? { cron: stringOption(record, "cron") } : { every: durationOption(record, "every", false) };
}

function validationProblems(opts: TaskOptions, offset: string | undefined): string[] {
    const problems: string[] = [];
    if (opts.name === "") {
        problems.push("name required");
    }
    const cronIssue = opts.cron !== undefined ? cronProblem(opts.cron) : undefined;
    if (cronIssue !== undefined) {
        problems.push(`cron invalid: ${cronIssue}`);
    }
    const every = opts.every !== undefined ? (fluxDurationSeconds(opts.every) ?? 0) : undefined;
    if (every !== undefined && every < 1) {
        problems.push("every option must be at least 1 second");
    } else if (every !== undefined && !Number.isInteger(every)) {
        problems.push("every option must be expressible as whole seconds");
    }
    if (offset !== undefined && !Number.isInteger(fluxDurationSeconds(offset) ?? 0)) {
        problems.push("offset option must be expressible as whole seconds");
    }
    if (opts.concurrency !== undefined && opts.concurrency < 1) {
        problems.push("concurrency must be at least 1");
    }
    if (opts.retry !== undefined && opts.retry < 1) {
        problems.push("retry must be at least 1");
    }
    return problems;
}

/**
 * The options of a task script, validated like the server does. Throws TaskOptionsError with the server's wording
 * (the caller prefixes "invalid options: ").
 */
export function extractTaskOptions(flux: string): TaskOptions {
    const record = findTaskOption(flux);
    const name = stringOption(record, "name");
    if (name === undefined) {
        throw new TaskOptionsError("missing required option: 'name'");
    }
    const schedule = scheduleOf(record);
    const offset = durationOption(record, "offset", true);
    const options: TaskOptions = {
        name,
        ...schedule,
        concurrency: integerOption(record, "concurrency"),
        retry: integerOption(record, "retry"),
    };
    const problems = validationProblems(options, offset);
    if (problems.length > 0) {
        throw new TaskOptionsError(`invalid options: ${problems.join(", ")}`);
    }
    return offset === undefined ? options : { ...options, offset };
}

// ---------------------------------------------------------------------------------------------------------------
// Rewriting (TaskUpdate.UpdateFlux)
// ---------------------------------------------------------------------------------------------------------------

/** A Flux string literal. */
export function fluxString(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$\{/g, "\\${")}"`;
}

function checkUpdate(update: TaskOptionsUpdate): void {
    if (update.every !== undefined && update.cron !== undefined && update.every !== "" && update.cron !== "") {
        throw new TaskOptionsError("cannot specify both every and cron");
    }
    if (update.every !== undefined && update.every !== "" && fluxDurationSeconds(update.every) === undefined) {
        throw new TaskOptionsError(`every: invalid duration "${update.every}"`);
    }
    if (update.offset !== undefined && update.offset !== "" && fluxDurationSeconds(update.offset) === undefined) {
        throw new TaskOptionsError(`offset: invalid duration "${update.offset}"`);
    }
}

/** The new values, keyed by option name; `null` marks an offset to remove. */
function replacements(update: TaskOptionsUpdate): Map<string, string | null> {
    const values = new Map<string, string | null>();
    if (update.name) {
        values.set("name", fluxString(update.name));
    }
    if (update.every) {
        values.set("every", update.every.trim());
    }
    if (update.cron) {
        values.set("cron", fluxString(update.cron));
    }
    if (update.offset !== undefined) {
        const seconds = update.offset === "" ? 0 : fluxDurationSeconds(update.offset);
        values.set("offset", seconds === 0 ? null : update.offset.trim());
    }
    return values;
}

function editedProperties(record: OptionRecord, values: Map<string, string | null>): string[] {
    const out: string[] = [];
    for (const p of record.properties) {
        const scheduleSwap = p.key === "every" ? "cron" : p.key === "cron" ? "every" : undefined;
        if (values.has(p.key)) {
            const value = values.get(p.key);
            values.delete(p.key);
            if (value !== null) {
                out.push(`${p.keyText}: ${value}`);
            }
        } else if (scheduleSwap !== undefined && values.has(scheduleSwap)) {
            out.push(`${scheduleSwap}: ${values.get(scheduleSwap)}`);
            values.delete(scheduleSwap);
        } else {
            out.push(p.valueText === "" ? p.keyText : `${p.keyText}: ${p.valueText}`);
        }
    }
    for (const [key, value] of values) {
        if (value !== null) {
            out.push(`${key}: ${value}`);
        }
    }
    return out;
}

/**
 * The script with its option record rewritten for a PATCH that sets name/every/cron/offset. Answers the script
 * unchanged when the update changes no option.
 */
export function rewriteTaskOptions(flux: string, update: TaskOptionsUpdate): string {
    checkUpdate(update);
    const values = replacements(update);
    if (values.size === 0) {
        return flux;
    }
    const record = findTaskOption(flux);
    const body = editedProperties(record, values).join(", ");
    return `${flux.slice(0, record.start)}{${body}}${flux.slice(record.end)}`;
}
