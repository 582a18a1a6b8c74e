// Flux analysis in Node through @influxdata/flux-lsp-browser (the Flux compiler front end compiled to WebAssembly).
//
// The package ships an ES module (wasm-bindgen "bundler" glue) that imports the .wasm file, which neither CommonJS
// nor Node without flags can load. At run time we read the glue from node_modules, strip its `import`/`export`
// syntax, evaluate it as a factory `(wasm, console) => exports`, and link it to the wasm instance ourselves.
//
// Diagnostics come from the language server (`Lsp`): `textDocument/didOpen` makes it publish syntax AND semantic
// errors (undefined identifiers, unexpected/missing arguments, type mismatches). `Flux#is_valid` runs the same
// semantic check but only answers a boolean, so it serves as a cross-check.
//
// The loaded analyzer lives on `globalThis` under a `Symbol.for` key, so one process loads it once whichever copy of
// this module asks (the program, the providers the stub loads, the tests).

/** A problem found in a Flux script. `line` and `column` are 1-based; columns count UTF-16 code units. */
export interface FluxDiagnostic {
    readonly message: string;
    readonly line: number;
    readonly column: number;
    readonly severity: "error" | "warning" | "info";
}

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

/** 1-based position in the source, as reported by the Flux parser. */
export interface FluxAstPosition {
    readonly line: number;
    readonly column: number;
}

/** A node of the Flux AST returned by the wasm `parse` (plain JSON; only the fields this project reads are typed). */
export interface FluxAstNode {
    readonly type?: string;
    readonly location?: { readonly start: FluxAstPosition; readonly end: FluxAstPosition; readonly source?: string };
    readonly errors?: readonly { readonly msg: string }[];
    readonly [field: string]: unknown;
}

/** The subset of the wasm-bindgen exports this module uses. */
interface FluxGlue {
    parse(script: string): unknown;
    Flux: new (script: string) => { is_valid(): boolean; free(): void };
    Lsp: new () => FluxLspServer;
}

interface FluxLspServer {
    onMessage(handler: (message: string) => void): void;
    send(message: string): Promise<unknown>;
    run(): Promise<unknown>;
}

interface LspDiagnostic {
    readonly message: string;
    readonly severity?: number;
    readonly range: { readonly start: { readonly line: number; readonly character: number } };
}

interface LspSession {
    readonly server: FluxLspServer;
    /** Resolvers waiting for `textDocument/publishDiagnostics` of a document URI. */
    readonly waiters: Map<string, (diagnostics: LspDiagnostic[]) => void>;
    nextRequestId: number;
}

/** Everything cached on `globalThis`. */
interface AnalyzerState {
    readonly glue: FluxGlue;
    session?: Promise<LspSession>;
    /** Tail of the queue that serializes language-server conversations. */
    queue: Promise<void>;
    documentCounter: number;
}

/** Minimal typings for the WebAssembly JS API (the project compiles without the DOM lib). */
interface WasmApi {
    Module: {
        new (bytes: Uint8Array): object;
        imports(module: object): { module: string; name: string; kind: string }[];
    };
    Instance: new (
        module: object,
        imports: Record<string, Record<string, unknown>>,
    ) => {
        exports: Record<string, unknown>;
    };
}

type GlueFactory = (
    wasm: Record<string, unknown>,
    console: Pick<Console, "debug" | "info" | "log" | "warn" | "error">,
) => Record<string, unknown>;

const STATE_KEY = "flagsmith-influxdb/flux-analyzer/flux-lsp-browser@0.8";
const GLUE_MODULE = "./flux-lsp-browser_bg.js";
const DIAGNOSTICS_TIMEOUT_MS = 30_000;

/**
 * Analyzes a Flux script: syntax and semantic (type, identifier, argument) errors, plus the language server's lint
 * warnings. An empty array, or one without `error` entries, means InfluxDB will accept the script.
 * The warning "Avoid using `task` as an identifier name" is dropped when it points at the `option task` statement,
 * since that is exactly what an InfluxDB task needs.
 */
export async function analyzeFlux(script: string): Promise<FluxDiagnostic[]> {
    if (typeof script !== "string") {
        throw new TypeError(`analyzeFlux: expected a string, got ${typeof script}`);
    }
    const state = analyzerState();
    return serialized(state, async () => {
        const published = await publishDiagnostics(state, script);
        const diagnostics = normalizeDiagnostics(state.glue, script, published);
        return crossCheck(state.glue, script, diagnostics);
    });
}

/** Loads the wasm module and starts the language server, so that the first `analyzeFlux` is fast. */
export async function warmUpFluxAnalyzer(): Promise<void> {
    await lspSession(analyzerState());
}

/** Forgets the cached analyzer (the next call loads a fresh one). Meant for tests and error recovery. */
export function resetFluxAnalyzer(): void {
    delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for(STATE_KEY)];
}

/** Parses Flux into its AST (the parser always returns a File node; syntax errors sit in the nodes' `errors`). */
export function parseFluxAst(script: string): FluxAstNode {
    const file = analyzerState().glue.parse(script);
    if (!isAstNode(file) || file.type !== "File") {
        throw new Error("flux parser returned an unexpected value");
    }
    return file;
}

/** Syntax errors recorded anywhere in an AST subtree, in source order. */
export function fluxAstErrors(node: FluxAstNode): FluxDiagnostic[] {
    const found: FluxDiagnostic[] = [];
    walkAst(node, (n) => {
        for (const error of n.errors ?? []) {
            const start = n.location?.start ?? { line: 1, column: 1 };
            found.push({ message: error.msg, line: start.line, column: start.column, severity: "error" });
        }
    });
    return found;
}

/** Calls `visit` on every node of the subtree, parents before children. */
export function walkAst(node: FluxAstNode, visit: (node: FluxAstNode) => void): void {
    visit(node);
    for (const [key, value] of Object.entries(node)) {
        if (key === "location" || key === "errors") continue;
        for (const child of Array.isArray(value) ? value : [value]) {
            if (isAstNode(child)) walkAst(child, visit);
        }
    }
}

/** The object-valued field `key` of a node, if it is one. */
export function astChild(node: FluxAstNode | undefined, key: string): FluxAstNode | undefined {
    const value = node?.[key];
    return isAstNode(value) ? value : undefined;
}

/** The array-valued field `key` of a node, keeping only nodes. */
export function astChildren(node: FluxAstNode | undefined, key: string): FluxAstNode[] {
    const value = node?.[key];
    return Array.isArray(value) ? value.filter(isAstNode) : [];
}

/** The literal string of a StringLiteral node; undefined for anything else (interpolation, concatenation, ...). */
export function astStringLiteral(node: FluxAstNode | undefined): string | undefined {
    return node?.type === "StringLiteral" && typeof node.value === "string" ? node.value : undefined;
}

/** Short human description of an expression node, e.g. "identifier `x` at line 1, column 34". */
export function describeAstNode(node: FluxAstNode): string {
    const kinds: Record<string, string> = {
        Identifier: "identifier",
        CallExpression: "function call",
        BinaryExpression: "binary expression",
        UnaryExpression: "unary expression",
        StringExpression: "interpolated string",
        MemberExpression: "member expression",
        ObjectExpression: "record",
        ArrayExpression: "array",
        FunctionExpression: "function",
        StringLiteral: "string literal",
        IntegerLiteral: "integer literal",
        FloatLiteral: "float literal",
        DurationLiteral: "duration literal",
        BooleanLiteral: "boolean literal",
        DateTimeLiteral: "time literal",
    };
    const kind = kinds[node.type ?? ""] ?? node.type ?? "expression";
    const source = node.location?.source;
    const where = node.location ? ` at line ${node.location.start.line}, column ${node.location.start.column}` : "";
    return source ? `${kind} \`${source}\`${where}` : `${kind}${where}`;
}

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

function isTaskOptionStatement(statement: FluxAstNode): boolean {
    const assignment = astChild(statement, "assignment");
    return (
        statement.type === "OptionStatement" &&
        assignment?.type === "VariableAssignment" &&
        astChild(assignment, "id")?.name === "task"
    );
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

// ---------------------------------------------------------------------------------------------------------------
// Loading

function analyzerState(): AnalyzerState {
    const slots = globalThis as unknown as Record<symbol, AnalyzerState | undefined>;
    const key = Symbol.for(STATE_KEY);
    let state = slots[key];
    if (!state) {
        state = { glue: loadGlue(), queue: Promise.resolve(), documentCounter: 0 };
        slots[key] = state;
    }
    return state;
}

/**
 * Instantiates the wasm and evaluates the glue. The glue reads `wasm.memory` at evaluation time while the wasm
 * imports the glue's functions, so the import object holds forwarders that resolve to the glue's exports once it
 * has been evaluated with the instance's exports (the cycle an ES module loader resolves with live bindings).
 */
function loadGlue(): FluxGlue {
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    const vm = require("vm") as typeof import("vm");
    const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

    const gluePath = require.resolve("@influxdata/flux-lsp-browser/flux-lsp-browser_bg.js");
    const { source, exportNames } = glueToFactorySource(fs.readFileSync(gluePath, "utf8"));
    const wasmModule = new wasmApi.Module(
        fs.readFileSync(path.join(path.dirname(gluePath), "flux-lsp-browser_bg.wasm")),
    );

    const linked: { glue?: Record<string, unknown> } = {};
    const forwarders: Record<string, unknown> = {};
    for (const wanted of wasmApi.Module.imports(wasmModule)) {
        if (wanted.module !== GLUE_MODULE || wanted.kind !== "function" || !exportNames.includes(wanted.name)) {
            throw new Error(
                `flux-lsp-browser: wasm import ${wanted.module}#${wanted.name} is not provided by the glue`,
            );
        }
        const name = wanted.name;
        forwarders[name] = (...args: unknown[]) => (linked.glue?.[name] as (...a: unknown[]) => unknown)(...args);
    }
    const instance = new wasmApi.Instance(wasmModule, { [GLUE_MODULE]: forwarders });
    const factory = vm.runInThisContext(source, { filename: gluePath }) as GlueFactory;
    const glue = factory(instance.exports, quietConsole());
    linked.glue = glue;
    for (const name of ["parse", "Flux", "Lsp"]) {
        if (typeof glue[name] !== "function") throw new Error(`flux-lsp-browser: glue does not export ${name}`);
    }
    return glue as unknown as FluxGlue;
}

/**
 * Turns the ES module glue into a function expression `(wasm, console) => ({...exports})`: the `import * as wasm`
 * line becomes the parameter, `export function|class X` loses its `export`. Line numbers are preserved.
 */
function glueToFactorySource(esm: string): { source: string; exportNames: string[] } {
    const wasmImport = /^import \* as wasm from ['"]\.\/flux-lsp-browser_bg\.wasm['"];?[ \t]*$/m;
    if (!wasmImport.test(esm)) {
        throw new Error("flux-lsp-browser: glue layout changed (no `import * as wasm` line)");
    }
    const exportNames: string[] = [];
    const body = esm
        .replace(wasmImport, "")
        .replace(/^export (function|class) ([A-Za-z_$][\w$]*)/gm, (_m, kind, name) => {
            exportNames.push(name as string);
            return `${kind as string} ${name as string}`;
        });
    const leftover = /^\s*(import|export)\b.*$/m.exec(body);
    if (leftover) {
        throw new Error(`flux-lsp-browser: unsupported module syntax in glue: ${leftover[0].trim()}`);
    }
    const source = `(function (wasm, console) { "use strict";${body}\nreturn { ${exportNames.join(", ")} };\n})`;
    return { source, exportNames };
}

/** Console for the glue: the Rust logger's info/debug chatter is dropped, warnings and panics are kept. */
function quietConsole(): Pick<Console, "debug" | "info" | "log" | "warn" | "error"> {
    const ignore = (): void => undefined;
    return {
        debug: ignore,
        info: ignore,
        log: ignore,
        warn: (...args: unknown[]) => console.warn("[flux-lsp]", ...args),
        error: (...args: unknown[]) => console.error("[flux-lsp]", ...args),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Language server conversation

/** Runs `task` after every previously queued one: the server keeps shared state between messages. */
function serialized<T>(state: AnalyzerState, task: () => Promise<T>): Promise<T> {
    const result = state.queue.then(task);
    state.queue = result.then(
        () => undefined,
        () => undefined,
    );
    return result;
}

function lspSession(state: AnalyzerState): Promise<LspSession> {
    if (!state.session) {
        state.session = startSession(state.glue);
        state.session.catch(() => (state.session = undefined));
    }
    return state.session;
}

async function startSession(glue: FluxGlue): Promise<LspSession> {
    const session: LspSession = { server: new glue.Lsp(), waiters: new Map(), nextRequestId: 1 };
    // Handlers run inside a wasm call: they must not call back into the wasm, only settle promises.
    session.server.onMessage((message) => onServerMessage(session, message));
    session.server.run().catch((e: unknown) => console.error("[flux-lsp] server stopped:", e));
    const response = await session.server.send(
        JSON.stringify({
            jsonrpc: "2.0",
            id: session.nextRequestId++,
            method: "initialize",
            params: { processId: null, rootUri: null, capabilities: {} },
        }),
    );
    const parsed = JSON.parse(String(response)) as { error?: { message?: string } };
    if (parsed.error) {
        throw new Error(`flux-lsp initialize failed: ${parsed.error.message ?? JSON.stringify(parsed.error)}`);
    }
    await notify(session, "initialized", {});
    return session;
}

function onServerMessage(session: LspSession, message: string): void {
    let parsed: { method?: string; params?: { uri?: string; diagnostics?: LspDiagnostic[] } };
    try {
        parsed = JSON.parse(message) as typeof parsed;
    } catch {
        return;
    }
    const uri = parsed.params?.uri;
    if (parsed.method !== "textDocument/publishDiagnostics" || uri === undefined) return;
    const waiter = session.waiters.get(uri);
    if (waiter) {
        session.waiters.delete(uri);
        waiter(parsed.params?.diagnostics ?? []);
    }
}

async function notify(session: LspSession, method: string, params: object): Promise<void> {
    await session.server.send(JSON.stringify({ jsonrpc: "2.0", method, params }));
}

/** Opens the script as a fresh document, waits for its diagnostics, then closes it. */
async function publishDiagnostics(state: AnalyzerState, script: string): Promise<LspDiagnostic[]> {
    const session = await lspSession(state);
    const uri = `file:///flagsmith-influxdb/script-${++state.documentCounter}.flux`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const published = new Promise<LspDiagnostic[]>((resolve, reject) => {
        session.waiters.set(uri, resolve);
        timer = setTimeout(() => {
            state.session = undefined; // the server is stuck: start a new one next time
            reject(new Error(`flux-lsp did not publish diagnostics within ${DIAGNOSTICS_TIMEOUT_MS} ms`));
        }, DIAGNOSTICS_TIMEOUT_MS);
        timer.unref?.();
    });
    try {
        await notify(session, "textDocument/didOpen", {
            textDocument: { uri, languageId: "flux", version: 1, text: script },
        });
        return await published;
    } finally {
        clearTimeout(timer);
        session.waiters.delete(uri);
        await notify(session, "textDocument/didClose", { textDocument: { uri } }).catch(() => undefined);
    }
}

function normalizeDiagnostics(glue: FluxGlue, script: string, published: LspDiagnostic[]): FluxDiagnostic[] {
    const taskIds = taskOptionIdPositions(glue, script);
    const unique = new Map<string, FluxDiagnostic>();
    for (const d of published) {
        const diagnostic: FluxDiagnostic = {
            message: d.message,
            line: d.range.start.line + 1,
            column: d.range.start.character + 1,
            severity: d.severity === 2 ? "warning" : d.severity === 3 || d.severity === 4 ? "info" : "error",
        };
        const isTaskWarning = d.message.startsWith("Avoid using `task`");
        if (isTaskWarning && taskIds.has(`${diagnostic.line}:${diagnostic.column}`)) continue;
        unique.set(`${diagnostic.line}:${diagnostic.column}:${diagnostic.severity}:${diagnostic.message}`, diagnostic);
    }
    return [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}

function taskOptionIdPositions(glue: FluxGlue, script: string): Set<string> {
    const positions = new Set<string>();
    const file = glue.parse(script);
    for (const statement of isAstNode(file) ? astChildren(file, "body").filter(isTaskOptionStatement) : []) {
        const start = astChild(astChild(statement, "assignment"), "id")?.location?.start;
        if (start) positions.add(`${start.line}:${start.column}`);
    }
    return positions;
}

/** If the server reported no error but the compiler's semantic check fails, report that rather than nothing. */
function crossCheck(glue: FluxGlue, script: string, diagnostics: FluxDiagnostic[]): FluxDiagnostic[] {
    if (diagnostics.some((d) => d.severity === "error")) return diagnostics;
    const flux = new glue.Flux(script);
    try {
        if (flux.is_valid()) return diagnostics;
    } finally {
        flux.free();
    }
    const failure: FluxDiagnostic = {
        message: "the Flux semantic check failed, but the language server gave no details",
        line: 1,
        column: 1,
        severity: "error",
    };
    return [failure, ...diagnostics];
}

function isAstNode(value: unknown): value is FluxAstNode {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Buckets a Flux script touches. */
export interface BucketReferences {
    /** Buckets read with `from(bucket: "...")`, in order of first appearance. */
    readonly reads: string[];
    /** Buckets written with `to(bucket: "...")` (or `wideTo`), in order of first appearance. */
    readonly writes: string[];
    /** Calls whose bucket cannot be known without running the script (non-literal `bucket`, or `bucketID`). */
    readonly unresolved: string[];
}

/**
 * Buckets a script reads (`from`) and writes (`to`, `wideTo`, also as package members such as `experimental.to`),
 * found in the AST. Meant for checking that every bucket a task touches is declared by the stack.
 */
export function bucketsReferenced(flux: string): BucketReferences {
    const reads = new Set<string>();
    const writes = new Set<string>();
    const unresolved: string[] = [];
    walkAst(parseFluxAst(flux), (node) => {
        const callee = calleeName(node);
        const target = callee === "from" ? reads : callee === "to" || callee === "wideTo" ? writes : undefined;
        if (!target) return;
        const args = astChildren(astChildren(node, "arguments")[0], "properties");
        const argument = (name: string) => args.find((p) => astChild(p, "key")?.name === name);
        const bucket = argument("bucket");
        const where = node.location ? ` at line ${node.location.start.line}` : "";
        if (bucket) {
            const value = astChild(bucket, "value");
            const name = astStringLiteral(value);
            if (name !== undefined) target.add(name);
            else unresolved.push(`${callee}()${where}: bucket is ${value ? describeAstNode(value) : "missing"}`);
        } else if (argument("bucketID")) {
            unresolved.push(`${callee}()${where}: uses bucketID`);
        }
    });
    return { reads: [...reads], writes: [...writes], unresolved };
}

/** Name of the called function for call nodes (`f(...)` or `pkg.f(...)`), undefined for other nodes. */
function calleeName(node: FluxAstNode): string | undefined {
    if (!Array.isArray(node.arguments)) return undefined;
    const callee = astChild(node, "callee");
    if (typeof callee?.name === "string") return callee.name;
    const property = astChild(callee, "property");
    return typeof property?.name === "string" ? property.name : astStringLiteral(property);
}
