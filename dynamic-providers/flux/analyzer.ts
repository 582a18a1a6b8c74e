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

import * as fs from "fs";
import * as path from "path";
import * as vm from "vm";
import { astChild, astChildren, FluxAstNode, isAstNode, isTaskOptionStatement, walkAst } from "./ast";

/** A problem found in a Flux script. `line` and `column` are 1-based; columns count UTF-16 code units. */
export interface FluxDiagnostic {
    readonly message: string;
    readonly line: number;
    readonly column: number;
    readonly severity: "error" | "warning" | "info";
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
