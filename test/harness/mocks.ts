/**
 * Test harness: runs a Pulumi program (or a single component) under `pulumi.runtime.setMocks` and records every
 * resource registration the way the engine would see it.
 *
 * What the SDK offers (investigated on @pulumi/pulumi 3.276):
 * - `MockResourceArgs` carries only type, name, inputs, provider, custom, id and the resource's own `transforms`.
 *   No parent, dependencies or options.
 * - `registerResourceTransform` (new-style transforms) works under mocks only halfway: the SDK starts a callback
 *   server and the mock monitor hands the transform to `Mocks.registerTransform`, but never runs it, and
 *   `newResource` has no options to run it with. So it cannot capture options.
 * - `registerStackTransformation` (legacy, run inside the SDK's Resource constructor) works when there is a root
 *   stack resource. So the harness runs the program inside `runInPulumiStack` and registers one: it captures the
 *   options exactly as the program wrote them (used here for the explicit `dependsOn`).
 * - Everything the engine would receive is in the `RegisterResourceRequest` the SDK sends to the monitor: parent,
 *   all dependencies, per-property (implicit) dependencies, protect, deletedWith, retainOnDelete,
 *   additionalSecretOutputs, ignoreChanges, replaceOnChanges, provider reference. The harness wraps the mock
 *   monitor's `registerResource`/`readResource`/`registerResourceOutputs` to record those requests.
 *
 * Process-global state: `setMocks` replaces the runtime's monitor, options (project, stack, dry-run) and feature
 * flags; the config map lives in the same store and is not reset by `setMocks`. Each run therefore (1) waits for any
 * previous run (runs are serialised), (2) snapshots that store, (3) installs its own config and mocks, runs the
 * program, waits for every outstanding RPC, and (4) restores the snapshot, so another test file's mocks and config are
 * untouched afterwards and config never leaks between runs.
 */
import * as pulumi from "@pulumi/pulumi";

/** Put this string in a mocked output to make that property unknown (during a preview), as the engine would. */
export const UNKNOWN: string = pulumi.runtime.unknownValue;

/**
 * Reserved key of a mocked output object: the resource's physical ID (as the provider would return it), instead of
 * the default `<name>-id` (none in previews). Removed from the state. In a preview it models an existing resource,
 * whose ID the engine knows.
 */
export const MOCK_ID = "__mockId";

const SIG_KEY: string = pulumi.runtime.specialSigKey;
const SECRET_SIG: string = pulumi.runtime.specialSecretSig;
const RESOURCE_SIG: string = pulumi.runtime.specialResourceSig;
const STACK_TYPE = "pulumi:pulumi:Stack";

/** Arguments a mocked resource output function receives. */
export interface MockArgs {
    /** Type token, e.g. `docker:index/container:Container`. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** Inputs with secrets unwrapped and unknowns as `undefined`. */
    readonly inputs: Record<string, unknown>;
    /** Inputs as serialised by the SDK (secrets wrapped in the secret signature object). */
    readonly rawInputs: Record<string, unknown>;
    /** True for custom (provider-managed) resources, false for components. */
    readonly custom: boolean;
    /** The ID being read (`Resource.get`) or imported. */
    readonly id?: string;
    /** True when the run is a preview. */
    readonly preview: boolean;
    /** Stack name of the run. */
    readonly stack: string;
}

/**
 * Outputs a mocked resource returns in addition to its inputs. An object is applied during `up` only (in a preview, as
 * in a real one, outputs that are not inputs stay unknown); a function is called in both modes and decides itself
 * (`args.preview`). Use {@link UNKNOWN} for an unknown value and `pulumi.secret`-free plain values: secret-ness of
 * outputs listed in `additionalSecretOutputs` is applied by the harness, as the engine does.
 */
export type MockOutputs =
    | Record<string, unknown>
    | ((args: MockArgs) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>);

/** A mocked invoke: a result object, or a function of the invoke's arguments. */
export type MockCall = Record<string, unknown> | ((args: pulumi.runtime.MockCallArgs) => Record<string, unknown>);

/** Options of {@link runProgram}. */
export interface RunOptions {
    /** Project name. Default `flagsmith-influxdb`. */
    readonly project?: string;
    /** Stack name. Default `test`. */
    readonly stack?: string;
    /** Organization name. Default none. */
    readonly organization?: string;
    /** Run as a preview (`pulumi preview`): unknown IDs and outputs. Default false (`pulumi up`). */
    readonly preview?: boolean;
    /**
     * Stack config. Keys without a namespace get the project's (`platform` -> `flagsmith-influxdb:platform`); values
     * that are not strings are JSON-encoded, as `pulumi config set --path`/structured config would be.
     */
    readonly config?: Record<string, unknown>;
    /** Secret stack config, same key rules as `config` (`config.requireSecret` returns secret Outputs for these). */
    readonly secretConfig?: Record<string, unknown>;
    /** Mocked outputs per resource type token. */
    readonly mocks?: Record<string, MockOutputs>;
    /** Mocked outputs for any type not in `mocks`. */
    readonly defaultMock?: MockOutputs;
    /** Mocked invokes per function token. An invoke without a mock fails the run, naming the token. */
    readonly calls?: Record<string, MockCall>;
}

/** Resource options as the engine receives them. URNs throughout. */
export interface RecordedOptions {
    readonly protect?: boolean;
    readonly deletedWith?: string;
    readonly retainOnDelete?: boolean;
    readonly additionalSecretOutputs: string[];
    readonly ignoreChanges: string[];
    readonly replaceOnChanges: string[];
    /** URN of the provider resource (custom resources; `undefined` for the default provider). */
    readonly provider?: string;
    /** Provider URNs per package (components). */
    readonly providers: Record<string, string>;
    readonly deleteBeforeReplace?: boolean;
    readonly customTimeouts?: { create?: string; update?: string; delete?: string };
}

/** One registered (or read) resource. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Physical ID (custom resources during `up`, or the ID read). */
    readonly id?: string;
    /** Custom (provider-managed) resource, as opposed to a component. */
    readonly custom: boolean;
    /** Remote (multi-language) component. */
    readonly remote: boolean;
    /** Read with `Resource.get` rather than registered. */
    readonly read: boolean;
    /** Parent URN; `undefined` for the stack itself. */
    readonly parent?: string;
    /** Inputs with secrets unwrapped; unknown values are `undefined`. */
    readonly inputs: Record<string, unknown>;
    /** Paths (`envs`, `values.adminUser.token`, `ports[0].external`) of inputs sent as secrets. */
    readonly secretInputs: string[];
    /** Paths of inputs unknown at registration (previews). */
    readonly unknownInputs: string[];
    /** Inputs as serialised by the SDK (secret/resource signatures kept). */
    readonly rawInputs: Record<string, unknown>;
    /** Custom resources: the state the mock returned. Components: what they passed to `registerOutputs`. */
    readonly outputs: Record<string, unknown>;
    /** Paths of secret outputs (including those made secret by `additionalSecretOutputs`). */
    readonly secretOutputs: string[];
    /** Paths of outputs unknown (previews). */
    readonly unknownOutputs: string[];
    /** Outputs in their serialised form. */
    readonly rawOutputs: Record<string, unknown>;
    /** Explicit `dependsOn` as written in the program (component URNs stay component URNs). */
    readonly dependsOn: string[];
    /** Every direct dependency the engine receives: explicit ones (components expanded) and implicit ones. */
    readonly dependencies: string[];
    /** Implicit dependencies per input property (resources whose outputs flow into that input). */
    readonly propertyDependencies: Record<string, string[]>;
    readonly options: RecordedOptions;
}

/** An Output resolved to a plain value. */
export interface ResolvedOutput<T = unknown> {
    /** The value; `undefined` when unknown. */
    readonly value: T | undefined;
    /** False when the value is unknown (previews). */
    readonly known: boolean;
    /** True when the Output is secret. */
    readonly secret: boolean;
}

/** The outcome of {@link runProgram}: the program's return value and the recorded resources, with queries. */
export class MockRun<T> {
    constructor(
        /** What the program returned (Outputs are not resolved: use {@link resolveOutputs}). */
        readonly result: T,
        /** Every recorded resource except the root stack, in registration order. */
        readonly resources: readonly RecordedResource[],
        /** URN of the root stack resource. */
        readonly stackUrn: string,
        readonly project: string,
        readonly stack: string,
        readonly preview: boolean,
    ) {}

    /** Resources of a type token. */
    byType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** Resources with a logical name. */
    byName(name: string): RecordedResource[] {
        return this.resources.filter((r) => r.name === name);
    }

    /** The single resource of a type (and name, if given); throws listing what exists otherwise. */
    one(type: string, name?: string): RecordedResource {
        const found = this.byType(type).filter((r) => name === undefined || r.name === name);
        if (found.length !== 1) {
            const sameType = this.byType(type).map((r) => r.name);
            throw new Error(
                `expected exactly one ${type}${name === undefined ? "" : ` named "${name}"`}, found ${found.length}` +
                    ` (resources of that type: ${sameType.length ? sameType.join(", ") : "none"};` +
                    ` all types: ${[...new Set(this.resources.map((r) => r.type))].join(", ")})`,
            );
        }
        return found[0];
    }

    /** The resource with a URN; throws if none. */
    get(urn: string): RecordedResource {
        const found = this.resources.find((r) => r.urn === urn);
        if (!found) {
            throw new Error(`no recorded resource with URN ${urn}`);
        }
        return found;
    }

    /** Direct children of a resource (by URN or record). */
    children(parent: string | RecordedResource): RecordedResource[] {
        const urn = typeof parent === "string" ? parent : parent.urn;
        return this.resources.filter((r) => r.parent === urn);
    }

    /** All descendants of a resource, depth first. */
    descendants(parent: string | RecordedResource): RecordedResource[] {
        return this.children(parent).flatMap((c) => [c, ...this.descendants(c)]);
    }

    /**
     * Where a (secret) string appears in plain text: in any input or output that is not marked secret, including as a
     * substring (e.g. inside `KEY=value` environment entries). Returns `urn: path` strings; empty when it never leaks.
     */
    plaintextOccurrences(value: string): string[] {
        if (value === "") {
            throw new Error("plaintextOccurrences: empty value");
        }
        const hits: string[] = [];
        for (const r of this.resources) {
            findPlaintext(r.rawInputs, "", value, (p) => hits.push(`${r.urn}: inputs.${p}`));
            findPlaintext(r.rawOutputs, "", value, (p) => hits.push(`${r.urn}: outputs.${p}`));
        }
        return hits;
    }
}

/** Resolve one Output (or plain value / Promise) to its value, known-ness and secret-ness. */
export async function resolveOutput<T>(value: pulumi.Input<T> | Promise<T>): Promise<ResolvedOutput<T>> {
    if (pulumi.Output.isInstance(value)) {
        const internals = value as unknown as OutputInternals<T>;
        const [known, secret, v] = await Promise.all([
            internals.isKnown,
            internals.isSecret,
            internals.promise(/* withUnknowns */ false),
        ]);
        return { value: known ? v : undefined, known, secret };
    }
    return { value: (await value) as T, known: true, secret: false };
}

/**
 * Resolve every Output-valued own property of an object (a component, or the object a program returned) to plain
 * values with their secret-ness. Properties that are not Outputs or Promises (resources, arrays of resources, plain
 * values) are left out, and so are a resource's own `urn` and `id`.
 */
export async function resolveOutputs(obj: object): Promise<Record<string, ResolvedOutput>> {
    const resolved: Record<string, ResolvedOutput> = {};
    const isResource = pulumi.Resource.isInstance(obj);
    for (const [key, value] of Object.entries(obj)) {
        if (key.startsWith("__") || (isResource && (key === "urn" || key === "id"))) {
            continue;
        }
        if (pulumi.Output.isInstance(value) || value instanceof Promise) {
            resolved[key] = await resolveOutput(value as pulumi.Input<unknown>);
        }
    }
    return resolved;
}

/**
 * Run a program under mocks and record what it registers. The program runs inside a root stack; its return value is
 * kept as is. Resolves once the program returned, every registration (and `registerOutputs`) completed and every
 * RPC drained; rejects with the program's error, a mock's error, or any rejection left unhandled during the run.
 */
export async function runProgram<T>(program: () => T | Promise<T>, options: RunOptions = {}): Promise<MockRun<T>> {
    const previous = runQueue;
    let release!: () => void;
    runQueue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
        return await runExclusive(program, options);
    } finally {
        release();
    }
}

// ---------------------------------------------------------------------------------------------------------------------

let runQueue: Promise<void> = Promise.resolve();

interface OutputInternals<T> {
    readonly isKnown: Promise<boolean>;
    readonly isSecret: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<T>;
}

/** The minimal shape of the runtime's (internal) global store this harness snapshots and restores. */
interface RuntimeStore {
    settings: { options: Record<string, unknown> } & Record<string, unknown>;
    config: Record<string, unknown>;
    [key: string]: unknown;
}

/** The parts of the SDK's protobuf requests the harness reads. */
interface ProtoList {
    getUrnsList(): string[];
}
interface ProtoMap<V> {
    entries(): Iterable<[string, V]>;
}
interface ProtoStruct {
    toJavaScript(): Record<string, unknown>;
}
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getRemote(): boolean;
    getObject(): ProtoStruct | undefined;
    hasProtect?(): boolean;
    getProtect(): boolean;
    getProvider(): string;
    getProvidersMap(): ProtoMap<string>;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): ProtoMap<ProtoList>;
    getDeletedwith(): string;
    hasRetainondelete?(): boolean;
    getRetainondelete(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getDeletebeforereplace(): boolean;
    getDeletebeforereplacedefined(): boolean;
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
    getImportid(): string;
}
interface ReadRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getId(): string;
    getProperties(): ProtoStruct | undefined;
    getProvider(): string;
    getDependenciesList(): string[];
    getAdditionalsecretoutputsList(): string[];
}
interface UrnResponse {
    getUrn(): string;
    getId?(): string;
}
type Callback = (err: unknown, resp: UrnResponse | undefined) => void;
interface MockMonitorLike {
    mocks: pulumi.runtime.Mocks;
    registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
    readResource(req: ReadRequest, cb: Callback): Promise<void>;
    registerResourceOutputs(
        req: { getUrn(): string; getOutputs(): ProtoStruct | undefined },
        cb: (err: unknown, resp: unknown) => void,
    ): void;
    newUrn(parent: string, type: string, name: string): string;
}

const runtimeState = require("@pulumi/pulumi/runtime/state") as { getStore(): RuntimeStore };

interface Recording {
    registered: RecordedResource[];
    explicitDeps: Promise<[string, string[]] | undefined>[];
    componentOutputs: Map<string, Record<string, unknown>>;
    errors: unknown[];
    stackUrn?: string;
}

async function runExclusive<T>(program: () => T | Promise<T>, options: RunOptions): Promise<MockRun<T>> {
    const project = options.project ?? "flagsmith-influxdb";
    const stack = options.stack ?? "test";
    const preview = options.preview ?? false;
    const store = runtimeState.getStore();
    const snapshot = snapshotStore(store);
    const globalStack = (globalThis as Record<string, unknown>).stackResource;
    const rejectionListeners = process.listeners("unhandledRejection");
    const rec: Recording = { registered: [], explicitDeps: [], componentOutputs: new Map(), errors: [] };
    const onRejection = (reason: unknown) => rec.errors.push(reason);
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onRejection);
    try {
        await pulumi.runtime.setMocks(buildMocks(options, rec), project, stack, preview, options.organization);
        setConfig(project, options);
        instrumentMonitor(pulumi.runtime.getMonitor() as unknown as MockMonitorLike, options, stack, preview, rec);

        let result!: T;
        let programError: unknown;
        try {
            await pulumi.runtime.runInPulumiStack(async () => {
                pulumi.runtime.registerStackTransformation((args) => {
                    rec.explicitDeps.push(explicitDependsOn(args.resource, args.opts));
                    return undefined;
                });
                result = await program();
                return undefined;
            });
        } catch (err) {
            programError = err;
        }
        // Wait for every registration, registerOutputs and invoke still in flight, then for late rejections.
        await pulumi.runtime.disconnect();
        const explicit = new Map(
            (await Promise.all(rec.explicitDeps)).filter((e): e is [string, string[]] => e !== undefined),
        );
        await new Promise((resolve) => setImmediate(resolve));
        if (programError !== undefined || rec.errors.length > 0) {
            throw runError(programError === undefined ? rec.errors : [programError, ...rec.errors]);
        }
        const resources = rec.registered
            .filter((r) => r.type !== STACK_TYPE)
            .map((r) => ({
                ...r,
                dependsOn: explicit.get(r.urn) ?? [],
                ...(r.custom ? {} : componentOutputsOf(rec, r.urn)),
            }));
        return new MockRun(result, resources, rec.stackUrn ?? "", project, stack, preview);
    } finally {
        process.removeListener("unhandledRejection", onRejection);
        for (const l of rejectionListeners) {
            process.on("unhandledRejection", l);
        }
        restoreStore(store, snapshot);
        (globalThis as Record<string, unknown>).stackResource = globalStack;
    }
}

/**
 * One failure usually surfaces many times (the failed registration, then every Output depending on it): keep each
 * distinct message once, first seen first (the program's own error first); drop message-less wrappers; throw the
 * error itself when there is only one.
 */
function runError(errors: unknown[]): unknown {
    const distinct = new Map<string, unknown>();
    const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).trim();
    const informative = errors.filter((err) => messageOf(err) !== "");
    for (const err of informative.length > 0 ? informative : errors.slice(0, 1)) {
        const message = messageOf(err);
        if (![...distinct.keys()].some((m) => m.includes(message) || message.includes(m))) {
            distinct.set(message, err);
        }
    }
    if (distinct.size === 1) {
        return [...distinct.values()][0];
    }
    return new AggregateError(
        [...distinct.values()],
        `${distinct.size} errors during the mocked run:\n${[...distinct.keys()].map((m) => `  - ${m}`).join("\n")}`,
    );
}

function snapshotStore(store: RuntimeStore): RuntimeStore {
    return {
        ...store,
        settings: { ...store.settings, options: { ...store.settings.options } },
        config: { ...store.config },
    };
}

function restoreStore(store: RuntimeStore, snapshot: RuntimeStore): void {
    for (const key of Object.keys(store)) {
        if (!(key in snapshot)) {
            delete store[key];
        }
    }
    Object.assign(store, snapshot);
}

function configKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

function configValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function setConfig(project: string, options: RunOptions): void {
    const all: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(options.config ?? {})) {
        all[configKey(project, k)] = configValue(v);
    }
    for (const [k, v] of Object.entries(options.secretConfig ?? {})) {
        all[configKey(project, k)] = configValue(v);
        secretKeys.push(configKey(project, k));
    }
    pulumi.runtime.setAllConfig(all, secretKeys);
}

function buildMocks(options: RunOptions, rec: Recording): pulumi.runtime.Mocks {
    return {
        newResource: () => {
            throw new Error("mock monitor not instrumented");
        },
        call: (args) => {
            const mock = options.calls?.[args.token];
            if (mock === undefined) {
                const err = new Error(
                    `unmocked invoke ${args.token}: pass calls: { "${args.token}": ... } to runProgram`,
                );
                rec.errors.push(err);
                throw err;
            }
            return typeof mock === "function" ? mock(args) : mock;
        },
    };
}

/** Compute a resource's state the way the engine would: inputs, mocked outputs, additionalSecretOutputs applied. */
async function mockState(
    options: RunOptions,
    args: MockArgs,
    additionalSecretOutputs: string[],
): Promise<Record<string, unknown>> {
    if (!args.custom) {
        return {};
    }
    const mock = options.mocks?.[args.type] ?? options.defaultMock;
    let extra: Record<string, unknown> | undefined;
    if (typeof mock === "function") {
        extra = await mock(args);
    } else if (mock !== undefined && !args.preview) {
        extra = mock;
    }
    const state: Record<string, unknown> = { ...args.rawInputs, ...(extra ?? {}) };
    delete state[MOCK_ID];
    if (extra && typeof extra[MOCK_ID] === "string") {
        Object.defineProperty(state, MOCK_ID, { value: extra[MOCK_ID], enumerable: false });
    }
    for (const key of additionalSecretOutputs) {
        if (key in state && !isSecretWrapper(state[key])) {
            state[key] = { [SIG_KEY]: SECRET_SIG, value: state[key] };
        } else if (!(key in state) && args.preview) {
            // In a preview the engine reports an output it does not know yet as unknown, and secret if listed.
            state[key] = { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
        }
    }
    return state;
}

function instrumentMonitor(
    monitor: MockMonitorLike,
    options: RunOptions,
    stack: string,
    preview: boolean,
    rec: Recording,
): void {
    const originalNewUrn = monitor.newUrn.bind(monitor);
    // The engine leaves the root stack out of its children's qualified types; the mock monitor does not.
    monitor.newUrn = (parent, type, name) =>
        originalNewUrn(parent && parentType(parent) === STACK_TYPE ? "" : parent, type, name);

    /** The mocked state of a registration or read; a mock's error is recorded for the run, then rethrown. */
    const stateOf = async (
        args: pulumi.runtime.MockResourceArgs,
        rawInputs: Record<string, unknown>,
        additionalSecretOutputs: string[],
    ): Promise<Record<string, unknown>> => {
        try {
            return await mockState(options, mockArgs(args, rawInputs, stack, preview), additionalSecretOutputs);
        } catch (err) {
            rec.errors.push(err);
            throw err;
        }
    };

    const originalRegister = monitor.registerResource;
    monitor.registerResource = function (req: RegisterRequest, cb: Callback) {
        const rawInputs = req.getObject()?.toJavaScript() ?? {};
        let state: Record<string, unknown> = {};
        const shim = withMocks(monitor, async (args) => {
            state = await stateOf(args, rawInputs, req.getAdditionalsecretoutputsList());
            const mockedId = (state as { [MOCK_ID]?: string })[MOCK_ID];
            return {
                id: mockedId ?? (args.custom && !preview ? `${args.name}-id` : undefined),
                state,
            } as pulumi.runtime.MockResourceResult;
        });
        return originalRegister.call(shim, req, (err, resp) => {
            if (!err && resp) {
                const record = recordRegistration(req, resp, rawInputs, state);
                rec.registered.push(record);
                if (record.type === STACK_TYPE) {
                    rec.stackUrn = record.urn;
                }
            }
            cb(err, resp);
        });
    };

    const originalRead = monitor.readResource;
    monitor.readResource = function (req: ReadRequest, cb: Callback) {
        const rawInputs = req.getProperties()?.toJavaScript() ?? {};
        let state: Record<string, unknown> = {};
        const shim = withMocks(monitor, async (args) => {
            state = await stateOf(args, rawInputs, req.getAdditionalsecretoutputsList());
            return { id: args.id, state } as pulumi.runtime.MockResourceResult;
        });
        return originalRead.call(shim, req, (err, resp) => {
            if (!err && resp) {
                rec.registered.push(recordRead(req, resp, rawInputs, state));
            }
            cb(err, resp);
        });
    };

    const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        rec.componentOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
        originalOutputs(req, cb);
    };
}

/** A view of the monitor whose `mocks.newResource` is bound to one request (so concurrent registrations don't mix). */
function withMocks(
    monitor: MockMonitorLike,
    newResource: (args: pulumi.runtime.MockResourceArgs) => Promise<pulumi.runtime.MockResourceResult>,
): MockMonitorLike {
    return Object.create(monitor, {
        mocks: { value: { call: monitor.mocks.call.bind(monitor.mocks), newResource } },
    }) as MockMonitorLike;
}

function mockArgs(
    args: pulumi.runtime.MockResourceArgs,
    rawInputs: Record<string, unknown>,
    stack: string,
    preview: boolean,
): MockArgs {
    return {
        type: args.type,
        name: args.name,
        inputs: unwrap(rawInputs).value as Record<string, unknown>,
        rawInputs,
        custom: args.custom ?? false,
        id: args.id || undefined,
        preview,
        stack,
    };
}

function parentType(urn: string): string {
    return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

function providerUrn(ref: string): string | undefined {
    if (!ref) {
        return undefined;
    }
    const idx = ref.lastIndexOf("::");
    return idx > 0 ? ref.substring(0, idx) : ref;
}

function protoEntries<V>(map: ProtoMap<V>): [string, V][] {
    return [...map.entries()];
}

/** What registered and read resources are recorded the same way from (a {@link ReadRequest} has no more). */
type RecordedRequest = Pick<RegisterRequest, "getType" | "getName" | "getParent" | "getDependenciesList">;

/** What differs between a registration and a read: where the ID comes from, the flags, dependencies and options. */
type RecordKind = Pick<RecordedResource, "id" | "custom" | "remote" | "read" | "propertyDependencies" | "options">;

function recordResource(
    req: RecordedRequest,
    resp: UrnResponse,
    rawInputs: Record<string, unknown>,
    state: Record<string, unknown>,
    kind: RecordKind,
): RecordedResource {
    const inputs = unwrap(rawInputs);
    const outputs = unwrap(state);
    return {
        type: req.getType(),
        name: req.getName(),
        urn: resp.getUrn(),
        id: kind.id,
        custom: kind.custom,
        remote: kind.remote,
        read: kind.read,
        parent: req.getParent() || undefined,
        inputs: inputs.value as Record<string, unknown>,
        secretInputs: inputs.secrets,
        unknownInputs: inputs.unknowns,
        rawInputs,
        outputs: outputs.value as Record<string, unknown>,
        secretOutputs: outputs.secrets,
        unknownOutputs: outputs.unknowns,
        rawOutputs: state,
        dependsOn: [],
        dependencies: req.getDependenciesList(),
        propertyDependencies: kind.propertyDependencies,
        options: kind.options,
    };
}

function recordRegistration(
    req: RegisterRequest,
    resp: UrnResponse,
    rawInputs: Record<string, unknown>,
    state: Record<string, unknown>,
): RecordedResource {
    const timeouts = req.getCustomtimeouts();
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of protoEntries(req.getPropertydependenciesMap())) {
        propertyDependencies[key] = deps.getUrnsList();
    }
    const providers: Record<string, string> = {};
    for (const [pkg, ref] of protoEntries(req.getProvidersMap())) {
        providers[pkg] = providerUrn(ref) ?? ref;
    }
    return recordResource(req, resp, rawInputs, state, {
        id: resp.getId?.() || undefined,
        custom: req.getCustom(),
        remote: req.getRemote(),
        read: false,
        propertyDependencies,
        options: {
            protect: req.hasProtect === undefined || req.hasProtect() ? req.getProtect() : undefined,
            deletedWith: req.getDeletedwith() || undefined,
            retainOnDelete:
                req.hasRetainondelete === undefined || req.hasRetainondelete() ? req.getRetainondelete() : undefined,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            provider: providerUrn(req.getProvider()),
            providers,
            deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
            customTimeouts:
                timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
                    ? {
                          create: timeouts.getCreate() || undefined,
                          update: timeouts.getUpdate() || undefined,
                          delete: timeouts.getDelete() || undefined,
                      }
                    : undefined,
        },
    });
}

/** A `Resource.get`: always custom, never remote, the requested ID, no property dependencies, fewer options. */
function recordRead(
    req: ReadRequest,
    resp: UrnResponse,
    rawInputs: Record<string, unknown>,
    state: Record<string, unknown>,
): RecordedResource {
    return recordResource(req, resp, rawInputs, state, {
        id: req.getId(),
        custom: true,
        remote: false,
        read: true,
        propertyDependencies: {},
        options: {
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            ignoreChanges: [],
            replaceOnChanges: [],
            provider: providerUrn(req.getProvider()),
            providers: {},
        },
    });
}

function componentOutputsOf(
    rec: Recording,
    urn: string,
): Pick<RecordedResource, "outputs" | "secretOutputs" | "unknownOutputs" | "rawOutputs"> {
    const raw = rec.componentOutputs.get(urn) ?? {};
    const outputs = unwrap(raw);
    return {
        outputs: outputs.value as Record<string, unknown>,
        secretOutputs: outputs.secrets,
        unknownOutputs: outputs.unknowns,
        rawOutputs: raw,
    };
}

async function explicitDependsOn(
    resource: pulumi.Resource,
    opts: pulumi.ResourceOptions,
): Promise<[string, string[]] | undefined> {
    try {
        const deps =
            opts.dependsOn === undefined
                ? []
                : await (pulumi.output(opts.dependsOn) as unknown as OutputInternals<unknown>).promise();
        const list = (Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[];
        const urns = await Promise.all(list.filter((d) => d !== undefined).map((d) => urnOf(d)));
        return [await urnOf(resource), urns];
    } catch {
        return undefined; // the registration failed; its error is reported on its own
    }
}

function urnOf(resource: pulumi.Resource): Promise<string> {
    return (resource.urn as unknown as OutputInternals<string>).promise();
}

function isSecretWrapper(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function joinPath(base: string, key: string | number): string {
    if (typeof key === "number") {
        return `${base}[${key}]`;
    }
    const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
    if (base === "") {
        return part.startsWith('"') ? `[${part}]` : part;
    }
    return part.startsWith('"') ? `${base}[${part}]` : `${base}.${part}`;
}

/** Turn a serialised property value into a plain one, collecting secret and unknown paths. */
function unwrap(raw: unknown): { value: unknown; secrets: string[]; unknowns: string[] } {
    const secrets: string[] = [];
    const unknowns: string[] = [];
    const walk = (v: unknown, path: string): unknown => {
        if (v === UNKNOWN) {
            unknowns.push(path);
            return undefined;
        }
        if (Array.isArray(v)) {
            return v.map((e, i) => walk(e, joinPath(path, i)));
        }
        if (typeof v === "object" && v !== null) {
            const o = v as Record<string, unknown>;
            if (o[SIG_KEY] === SECRET_SIG) {
                secrets.push(path);
                return walk(o.value, path);
            }
            if (o[SIG_KEY] === RESOURCE_SIG) {
                return { urn: o.urn, id: o.id };
            }
            const out: Record<string, unknown> = {};
            for (const [k, e] of Object.entries(o)) {
                out[k] = walk(e, joinPath(path, k));
            }
            return out;
        }
        return v;
    };
    return { value: walk(raw, ""), secrets, unknowns };
}

function findPlaintext(raw: unknown, path: string, needle: string, hit: (path: string) => void): void {
    if (typeof raw === "string") {
        if (raw.includes(needle)) {
            hit(path);
        }
    } else if (Array.isArray(raw)) {
        raw.forEach((e, i) => findPlaintext(e, joinPath(path, i), needle, hit));
    } else if (typeof raw === "object" && raw !== null && !isSecretWrapper(raw)) {
        for (const [k, e] of Object.entries(raw)) {
            findPlaintext(e, joinPath(path, k), needle, hit);
        }
    }
}
