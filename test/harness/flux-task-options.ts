// A small reader and writer for the `option task = {...}` record of a Flux script, reproducing what InfluxDB 2.7's
// task service does with it (options.FromScriptAST, TaskUpdate.UpdateFlux). It tokenises just enough Flux (strings
// with interpolation, comments, regex literals, nesting) to find the record at the top level of the script.
//
// Deviation from the server, on purpose: when a PATCH changes name/every/cron/offset, the server rewrites the record
// and re-formats the WHOLE script (ast.Format); the stand-in rewrites only the record, leaving the rest verbatim.

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
// Tokens
// ---------------------------------------------------------------------------------------------------------------

type TokenKind = "ident" | "string" | "duration" | "int" | "float" | "regex" | "punct";

interface Token {
    readonly kind: TokenKind;
    readonly text: string;
    readonly start: number;
    readonly end: number;
    /** For strings: the decoded value, or undefined when the string interpolates. */
    readonly value?: string;
}

const TWO_CHAR_PUNCT = new Set(["==", "!=", "<=", ">=", "=~", "!~", "=>", "<-", "|>"]);
const REGEX_CAN_FOLLOW = new Set(["=~", "!~", "(", ",", ":", "[", "=", "{", "return"]);

class Lexer {
    private pos = 0;
    private readonly tokens: Token[] = [];

    constructor(private readonly src: string) {}

    run(): Token[] {
        while (this.skipSpaceAndComments()) {
            this.tokens.push(this.next());
        }
        return this.tokens;
    }

    private skipSpaceAndComments(): boolean {
        for (;;) {
            while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) {
                this.pos++;
            }
            if (!this.src.startsWith("//", this.pos)) {
                return this.pos < this.src.length;
            }
            const eol = this.src.indexOf("\n", this.pos);
            this.pos = eol < 0 ? this.src.length : eol + 1;
        }
    }

    private next(): Token {
        const c = this.src[this.pos];
        if (c === '"') {
            return this.string();
        }
        if (/[0-9]/.test(c)) {
            return this.number();
        }
        if (/[A-Za-z_]/.test(c)) {
            return this.word(/[A-Za-z0-9_]/, "ident");
        }
        if (c === "/" && this.regexAllowed()) {
            return this.regex();
        }
        const two = this.src.slice(this.pos, this.pos + 2);
        return this.take("punct", TWO_CHAR_PUNCT.has(two) ? 2 : 1);
    }

    private take(kind: TokenKind, length: number, value?: string): Token {
        const start = this.pos;
        this.pos += length;
        return { kind, text: this.src.slice(start, this.pos), start, end: this.pos, value };
    }

    private word(chars: RegExp, kind: TokenKind): Token {
        let end = this.pos;
        while (end < this.src.length && chars.test(this.src[end])) {
            end++;
        }
        return this.take(kind, end - this.pos);
    }

    private regexAllowed(): boolean {
        const previous = this.tokens[this.tokens.length - 1];
        return previous === undefined || REGEX_CAN_FOLLOW.has(previous.text);
    }

    private regex(): Token {
        let end = this.pos + 1;
        while (end < this.src.length && this.src[end] !== "/" && this.src[end] !== "\n") {
            end += this.src[end] === "\\" ? 2 : 1;
        }
        return this.take("regex", end + 1 - this.pos);
    }

    private number(): Token {
        const rest = this.src.slice(this.pos);
        const duration = /^(\d+(mo|ms|us|µs|μs|ns|y|w|d|h|m|s))+/.exec(rest);
        if (duration && !/[A-Za-z0-9_]/.test(rest[duration[0].length] ?? "")) {
            return this.take("duration", duration[0].length);
        }
        const float = /^\d+\.\d+/.exec(rest);
        if (float) {
            return this.take("float", float[0].length);
        }
        return this.take("int", /^\d+/.exec(rest)![0].length);
    }

    /** A string literal; `value` is left undefined when it interpolates (`${...}`). */
    private string(): Token {
        let end = this.pos + 1;
        let value = "";
        let interpolates = false;
        const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$" };
        while (end < this.src.length && this.src[end] !== '"') {
            const c = this.src[end];
            if (c === "\\") {
                value += escapes[this.src[end + 1]] ?? this.src[end + 1];
                end += 2;
            } else if (c === "$" && this.src[end + 1] === "{") {
                interpolates = true;
                end = this.skipInterpolation(end + 2);
            } else {
                value += c;
                end++;
            }
        }
        if (end >= this.src.length) {
            throw new TaskOptionsError("expected string literal to be terminated by a quote");
        }
        return this.take("string", end + 1 - this.pos, interpolates ? undefined : value);
    }

    private skipInterpolation(from: number): number {
        let depth = 1;
        let end = from;
        while (end < this.src.length && depth > 0) {
            depth += this.src[end] === "{" ? 1 : this.src[end] === "}" ? -1 : 0;
            end++;
        }
        return end;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The option record
// ---------------------------------------------------------------------------------------------------------------

interface RecordProperty {
    readonly key: string;
    /** Source text of the key and of the value. */
    readonly keyText: string;
    readonly valueText: string;
    readonly valueTokens: readonly Token[];
}

interface OptionRecord {
    /** Source span of the record literal, braces included. */
    readonly start: number;
    readonly end: number;
    readonly properties: readonly RecordProperty[];
}

const OPENERS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };

function depthChange(token: Token): number {
    if (token.kind !== "punct") {
        return 0;
    }
    return token.text in OPENERS ? 1 : [")", "]", "}"].includes(token.text) ? -1 : 0;
}

function taskOptionStarts(tokens: readonly Token[]): number[] {
    const starts: number[] = [];
    let depth = 0;
    tokens.forEach((t, i) => {
        if (depth === 0 && t.kind === "ident" && t.text === "option") {
            const [name, eq] = [tokens[i + 1], tokens[i + 2]];
            if (name?.kind === "ident" && name.text === "task" && eq?.text === "=") {
                starts.push(i + 3);
            }
        }
        depth += depthChange(t);
    });
    return starts;
}

function describeExpression(token: Token | undefined): string {
    const kinds: Record<TokenKind, string> = {
        ident: "Identifier",
        string: "StringLiteral",
        duration: "DurationLiteral",
        int: "IntegerLiteral",
        float: "FloatLiteral",
        regex: "RegexpLiteral",
        punct: "Expression",
    };
    return token ? kinds[token.kind] : "BadExpression";
}

function readRecord(src: string, tokens: readonly Token[], open: number): OptionRecord {
    if (tokens[open]?.text !== "{") {
        throw new TaskOptionsError(
            `task option expected to be object literal, but found "${describeExpression(tokens[open])}"`,
        );
    }
    const properties: RecordProperty[] = [];
    let i = open + 1;
    while (i < tokens.length && tokens[i].text !== "}") {
        const [property, next] = readProperty(src, tokens, i);
        properties.push(property);
        i = tokens[next]?.text === "," ? next + 1 : next;
    }
    if (i >= tokens.length) {
        throw new TaskOptionsError("expected } to close the task option record");
    }
    return { start: tokens[open].start, end: tokens[i].end, properties };
}

function readProperty(src: string, tokens: readonly Token[], at: number): [RecordProperty, number] {
    const keyToken = tokens[at];
    const key = keyToken.kind === "string" ? (keyToken.value ?? keyToken.text) : keyToken.text;
    if (tokens[at + 1]?.text !== ":") {
        return [{ key, keyText: keyToken.text, valueText: "", valueTokens: [] }, at + 1];
    }
    let end = at + 2;
    let depth = 0;
    while (end < tokens.length && !(depth === 0 && [",", "}"].includes(tokens[end].text))) {
        depth += depthChange(tokens[end]);
        end++;
    }
    const valueTokens = tokens.slice(at + 2, end);
    const valueText = valueTokens.length
        ? src.slice(valueTokens[0].start, valueTokens[valueTokens.length - 1].end)
        : "";
    return [{ key, keyText: keyToken.text, valueText, valueTokens }, end];
}

function findTaskOption(flux: string): OptionRecord {
    const tokens = new Lexer(flux).run();
    const starts = taskOptionStarts(tokens);
    if (starts.length === 0) {
        throw new TaskOptionsError("no task options defined");
    }
    if (starts.length > 1) {
        throw new TaskOptionsError("multiple task options defined");
    }
    return readRecord(flux, tokens, starts[0]);
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

function single(p: RecordProperty, kind: TokenKind): Token | undefined {
    return p.valueTokens.length === 1 && p.valueTokens[0].kind === kind ? p.valueTokens[0] : undefined;
}

const fieldError = (field: string) => new TaskOptionsError(`failed to parse field '${field}' in task options`);

function stringOption(record: OptionRecord, key: string): string | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    const token = single(p, "string");
    if (token?.value === undefined) {
        throw fieldError(key);
    }
    return token.value;
}

function durationOption(record: OptionRecord, key: string, signed: boolean): string | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    const negative = signed && p.valueTokens.length === 2 && p.valueTokens[0].text === "-";
    const token = negative ? p.valueTokens[1] : single(p, "duration");
    if (token?.kind !== "duration") {
        throw fieldError(key);
    }
    return negative ? `-${token.text}` : token.text;
}

function integerOption(record: OptionRecord, key: string): number | undefined {
    const p = property(record, key);
    if (!p) {
        return undefined;
    }
    const token = single(p, "int");
    if (!token) {
        throw fieldError(key);
    }
    return Number(token.text);
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
