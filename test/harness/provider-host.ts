// The provider-host harness: drives serialized dynamic providers through the real `pulumi-resource-pulumi-nodejs` plugin
// (node_modules/@pulumi/pulumi/cmd/dynamic-provider) over gRPC, the way the Pulumi engine does.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";

/** What the engine sends in place of a value that is not known yet (previews only). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Signature key/value of a serialized secret: `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Project root: the plugin runs here so serialized `require("pkg")` calls resolve from its node_modules. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const PLUGIN_SCRIPT = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [PROJECT_ROOT] });
const START_TIMEOUT_MS = 30_000;

export type Props = Record<string, unknown>;
export type RpcMethod = "Configure" | "Check" | "Diff" | "Create" | "Read" | "Update" | "Delete";
export interface RpcCall {
    method: RpcMethod;
    urn: string;
}
export interface CheckFailure {
    property: string;
    reason: string;
}
export type DiffChanges = "DIFF_NONE" | "DIFF_SOME" | "DIFF_UNKNOWN";
export interface DiffResult {
    changes: DiffChanges;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/** A gRPC error returned by the plugin. `message` is the provider's own message; the gRPC status is kept. */
export class ProviderError extends Error {
    constructor(
        readonly method: RpcMethod,
        readonly code: grpc.status,
        readonly details: string,
        readonly metadata: grpc.Metadata,
    ) {
        super(details);
        this.name = "ProviderError";
    }
}

function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Props)[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * Replaces every serialized secret by its plain value, recursively, as the engine does before calling a provider that
 * does not accept secrets. `secretPaths` lists where secrets were: "token", "connection.token", "list[1]".
 */
export function unwrapSecrets<T>(value: T): { value: T; secretPaths: string[] } {
    const secretPaths: string[] = [];
    const walk = (v: unknown, at: string): unknown => {
        if (isSecretWrapper(v)) {
            secretPaths.push(at);
            return walk(v.value, at);
        }
        if (Array.isArray(v)) {
            return v.map((e, i) => walk(e, `${at}[${i}]`));
        }
        if (typeof v === "object" && v !== null) {
            return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, at ? `${at}.${k}` : k)]));
        }
        return v;
    };
    return { value: walk(value, "") as T, secretPaths: [...new Set(secretPaths)] };
}

/** The top-level property names a list of secret paths touches. */
function topLevelKeys(paths: string[]): string[] {
    return [...new Set(paths.map((p) => p.split(/[.[]/)[0]).filter((k) => k !== ""))];
}

function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) {
        return true;
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).some(containsUnknown);
    }
    return false;
}

function toStruct(props: Props): Struct {
    return Struct.fromJavaScript(props as Record<string, JavaScriptValue>);
}

function fromStruct(struct: Struct | undefined): Props {
    return (struct?.toJavaScript() ?? {}) as Props;
}

/** `urn:pulumi:stack::project::parent$type::name` -> { type, name } (the engine sends both alongside the URN). */
function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    return { type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

/** One running dynamic-provider plugin process plus a gRPC client to it. */
export class ProviderHost {
    /** Every RPC sent to the plugin, in order. */
    readonly calls: RpcCall[] = [];
    private captured = "";
    private configured = false;
    private acceptSecrets = false;
    private readonly killOnExit = (): void => {
        this.child.kill("SIGKILL");
    };

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: provrpc.ResourceProviderClient,
    ) {
        process.on("exit", this.killOnExit);
    }

    /** Spawns the plugin (with this process's Node binary) and connects to the port it prints. */
    static async start(opts?: { cwd?: string }): Promise<ProviderHost> {
        // The plugin requires an engine address argument but never dials it.
        const child = spawn(process.execPath, [PLUGIN_SCRIPT, "127.0.0.1:0"], {
            cwd: opts?.cwd ?? PROJECT_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        const port = await new Promise<number>((resolve, reject) => {
            const fail = (why: string): void => {
                clearTimeout(timer);
                child.kill("SIGKILL");
                reject(new Error(`dynamic-provider plugin ${why}; output:\n${output}`));
            };
            const timer = setTimeout(() => fail("did not print its port in time"), START_TIMEOUT_MS);
            child.on("exit", (code) => fail(`exited early with code ${code}`));
            child.on("error", (err) => fail(`failed to start: ${err.message}`));
            child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
            child.stdout?.on("data", (chunk: Buffer) => {
                output += chunk.toString();
                const firstLine = /^(\d+)\r?\n/.exec(output);
                if (firstLine) {
                    clearTimeout(timer);
                    child.removeAllListeners("exit");
                    child.removeAllListeners("error");
                    resolve(Number(firstLine[1]));
                }
            });
        });
        const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": -1,
        });
        const host = new ProviderHost(child, client);
        host.captured = output;
        child.stdout?.removeAllListeners("data");
        child.stderr?.removeAllListeners("data");
        child.stdout?.on("data", (chunk: Buffer) => (host.captured += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (host.captured += chunk.toString()));
        return host;
    }

    /** Everything the plugin wrote to stdout and stderr so far (the first line is its port). */
    output(): string {
        return this.captured;
    }

    /**
     * Configure must come first, as with the engine. `config` is the stack config with namespaced keys, e.g.
     * `{ "project:key": "v" }`; the plugin reads only `args` and hands it to the provider's `configure`.
     */
    async configure(
        config: Record<string, string> = {},
    ): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
        const req = new provproto.ConfigureRequest()
            .setArgs(toStruct(config))
            .setAcceptsecrets(true)
            .setAcceptresources(true)
            .setSendsOldInputs(true)
            .setSendsOldInputsToDelete(true);
        const res: provproto.ConfigureResponse = await this.call(
            "Configure",
            "",
            (cb) => this.client.configure(req, cb),
            false,
        );
        this.configured = true;
        this.acceptSecrets = res.getAcceptsecrets();
        return { acceptSecrets: this.acceptSecrets, supportsPreview: res.getSupportspreview() };
    }

    async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
        const req = this.withUrn(new provproto.CheckRequest(), urn)
            .setOlds(this.marshal(olds))
            .setNews(this.marshal(news));
        const res: provproto.CheckResponse = await this.call("Check", urn, (cb) => this.client.check(req, cb));
        const failures = res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
        return { inputs: fromStruct(res.getInputs()), failures };
    }

    /** `olds` are the old OUTPUTS (state); `news` the checked inputs. */
    async diff(id: string, urn: string, olds: Props, news: Props, oldInputs: Props = {}): Promise<DiffResult> {
        const req = this.withUrn(new provproto.DiffRequest(), urn)
            .setId(id)
            .setOlds(this.marshal(olds))
            .setNews(this.marshal(news))
            .setOldInputs(this.marshal(oldInputs));
        const res: provproto.DiffResponse = await this.call("Diff", urn, (cb) => this.client.diff(req, cb));
        const names: Record<number, DiffChanges> = {
            [provproto.DiffResponse.DiffChanges.DIFF_NONE]: "DIFF_NONE",
            [provproto.DiffResponse.DiffChanges.DIFF_SOME]: "DIFF_SOME",
            [provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "DIFF_UNKNOWN",
        };
        return {
            changes: names[res.getChanges()] ?? "DIFF_UNKNOWN",
            replaces: res.getReplacesList(),
            deleteBeforeReplace: res.getDeletebeforereplace(),
        };
    }

    async create(urn: string, properties: Props): Promise<{ id: string; properties: Props }> {
        const req = this.withUrn(new provproto.CreateRequest(), urn).setProperties(this.marshal(properties));
        const res: provproto.CreateResponse = await this.call("Create", urn, (cb) => this.client.create(req, cb));
        return { id: res.getId(), properties: fromStruct(res.getProperties()) };
    }

    /** `properties` are the old outputs, `inputs` the old inputs. An empty `id` in the result means "gone". */
    async read(
        id: string,
        urn: string,
        properties: Props,
        inputs?: Props,
    ): Promise<{ id: string; properties: Props; inputs?: Props }> {
        const req = this.withUrn(new provproto.ReadRequest(), urn).setId(id).setProperties(this.marshal(properties));
        if (inputs) {
            req.setInputs(this.marshal(inputs));
        }
        const res: provproto.ReadResponse = await this.call("Read", urn, (cb) => this.client.read(req, cb));
        const newInputs = res.getInputs();
        return {
            id: res.getId(),
            properties: fromStruct(res.getProperties()),
            ...(newInputs ? { inputs: fromStruct(newInputs) } : {}),
        };
    }

    /** `olds` are the old outputs; `news` the checked inputs. Returns the new outputs. */
    async update(id: string, urn: string, olds: Props, news: Props, oldInputs: Props = {}): Promise<Props> {
        const req = this.withUrn(new provproto.UpdateRequest(), urn)
            .setId(id)
            .setOlds(this.marshal(olds))
            .setNews(this.marshal(news))
            .setOldInputs(this.marshal(oldInputs));
        const res: provproto.UpdateResponse = await this.call("Update", urn, (cb) => this.client.update(req, cb));
        return fromStruct(res.getProperties());
    }

    /** `properties` are the old outputs. */
    async delete(id: string, urn: string, properties: Props, oldInputs: Props = {}): Promise<void> {
        const req = this.withUrn(new provproto.DeleteRequest(), urn)
            .setId(id)
            .setProperties(this.marshal(properties))
            .setOldInputs(this.marshal(oldInputs));
        await this.call("Delete", urn, (cb) => this.client.delete(req, cb));
    }

    /** Closes the client and kills the plugin. */
    async stop(): Promise<void> {
        this.client.close();
        process.removeListener("exit", this.killOnExit);
        if (this.child.exitCode === null && this.child.signalCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGTERM");
            await exited;
        }
    }

    private withUrn<T extends { setUrn(v: string): T; setName(v: string): T; setType(v: string): T }>(
        req: T,
        urn: string,
    ): T {
        const { type, name } = parseUrn(urn);
        return req.setUrn(urn).setName(name).setType(type);
    }

    /** The engine strips secrets for providers that did not accept them in Configure (the dynamic provider). */
    private marshal(props: Props): Struct {
        return toStruct(this.acceptSecrets ? props : unwrapSecrets(props).value);
    }

    private call<Res>(
        method: RpcMethod,
        urn: string,
        invoke: (callback: Callback<Res>) => grpc.ClientUnaryCall,
        needsConfigure = true,
    ): Promise<Res> {
        if (needsConfigure && !this.configured) {
            return Promise.reject(new Error(`${method} before Configure: call configure() first, as the engine does`));
        }
        this.calls.push({ method, urn });
        return new Promise((resolve, reject) => {
            invoke((err, res) => {
                if (err) {
                    reject(new ProviderError(method, err.code, err.details, err.metadata));
                } else {
                    resolve(res);
                }
            });
        });
    }
}

export type Operation = "create" | "same" | "update" | "replace";

export interface ResourceState {
    urn: string;
    id: string;
    /** Checked inputs, secrets unwrapped (see `secretInputs`). */
    inputs: Props;
    /** Outputs as returned by the provider (they always include `__provider`). */
    outputs: Props;
    /** Top-level input keys that held a secret. */
    secretInputs: string[];
    /** Top-level output keys the engine would store as secrets. */
    secretOutputs: string[];
    /** additionalSecretOutputs from the last `up`. */
    additionalSecretOutputs: string[];
}

export class CheckFailedError extends Error {
    constructor(
        readonly urn: string,
        readonly failures: CheckFailure[],
    ) {
        super(`${urn}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
        this.name = "CheckFailedError";
    }
}

/**
 * A tiny engine over a ProviderHost: keeps state per URN and sequences Check/Diff/Create/Update/Delete/Read like
 * `pulumi up`, `preview`, `refresh` and `destroy` do for a single resource. Configures the host on first use.
 */
export class Engine {
    /** Every RPC this engine made, in order. */
    readonly log: RpcCall[] = [];
    private readonly states = new Map<string, ResourceState>();
    private configured = false;

    constructor(
        readonly host: ProviderHost,
        private readonly config: Record<string, string> = {},
    ) {}

    state(urn: string): ResourceState | undefined {
        return this.states.get(urn);
    }

    /** Check, then Create (no state) or Diff + Update/replace. Throws CheckFailedError on check failures. */
    async up(
        urn: string,
        inputs: Props,
        opts?: { additionalSecretOutputs?: string[] },
    ): Promise<{ op: Operation; state: ResourceState }> {
        const { inputs: checked, secretInputs } = await this.checkInputs(urn, inputs, false);
        const additionalSecretOutputs = opts?.additionalSecretOutputs ?? [];
        const old = this.states.get(urn);
        const save = (id: string, outputs: Props, carried: string[] = []): ResourceState => {
            // annotateSecrets: an output is secret if its input was; providers may also return secret wrappers.
            const unwrapped = unwrapSecrets(outputs);
            const secret = new Set([
                ...carried,
                ...secretInputs,
                ...additionalSecretOutputs,
                ...topLevelKeys(unwrapped.secretPaths),
            ]);
            const state: ResourceState = {
                urn,
                id,
                inputs: checked,
                outputs: unwrapped.value,
                secretInputs,
                secretOutputs: Object.keys(unwrapped.value).filter((k) => secret.has(k)),
                additionalSecretOutputs,
            };
            this.states.set(urn, state);
            return state;
        };
        const create = async (): Promise<ResourceState> => {
            const res = await this.rpc("Create", urn, () => this.host.create(urn, checked));
            if (!res.id) {
                throw new Error(`${urn}: provider returned an empty ID from Create`);
            }
            return save(res.id, res.properties);
        };

        if (!old) {
            return { op: "create", state: await create() };
        }
        const { op, diff } = await this.plan(old, checked);
        if (op === "same") {
            return { op, state: save(old.id, old.outputs, old.secretOutputs) };
        }
        if (op === "update") {
            const outs = await this.rpc("Update", urn, () =>
                this.host.update(old.id, urn, old.outputs, checked, old.inputs),
            );
            return { op, state: save(old.id, outs) };
        }
        // Replace: create the new resource first unless the provider asked for delete-before-replace.
        if (diff.deleteBeforeReplace) {
            await this.deleteOld(old);
            this.states.delete(urn);
            return { op, state: await create() };
        }
        const state = await create();
        await this.deleteOld(old);
        return { op, state };
    }

    /** Check + Diff only (unknowns allowed): what `up` would do. Never calls Create, Update or Delete. */
    async preview(urn: string, inputs: Props): Promise<Operation> {
        const { inputs: checked } = await this.checkInputs(urn, inputs, true);
        const old = this.states.get(urn);
        return old ? (await this.plan(old, checked)).op : "create";
    }

    /** Read; drops the state if the provider says the resource is gone. Returns the new state, if any. */
    async refresh(urn: string): Promise<ResourceState | undefined> {
        const old = this.states.get(urn);
        if (!old) {
            return undefined;
        }
        const res = await this.rpc("Read", urn, () => this.host.read(old.id, urn, old.outputs, old.inputs));
        if (!res.id) {
            this.states.delete(urn);
            return undefined;
        }
        const unwrapped = unwrapSecrets(res.properties);
        const secret = new Set([...old.secretOutputs, ...topLevelKeys(unwrapped.secretPaths)]);
        const state: ResourceState = {
            ...old,
            id: res.id,
            inputs: res.inputs ? unwrapSecrets(res.inputs).value : old.inputs,
            outputs: unwrapped.value,
            secretOutputs: Object.keys(unwrapped.value).filter((k) => secret.has(k)),
        };
        this.states.set(urn, state);
        return state;
    }

    /**
     * `Resource.get`: Read of a resource the stack does not manage, as the engine does in previews and updates alike
     * (the given props, unwrapped from secrets, as both the old outputs and inputs). Not kept in the state.
     */
    async get(urn: string, id: string, props: Props): Promise<{ id: string; properties: Props }> {
        await this.ensureConfigured();
        const { value } = unwrapSecrets(props);
        const res = await this.rpc("Read", urn, () => this.host.read(id, urn, value, value));
        return { id: res.id, properties: unwrapSecrets(res.properties).value };
    }

    /** Delete (if there is state) and forget the resource. */
    async destroy(urn: string): Promise<void> {
        const old = this.states.get(urn);
        if (old) {
            await this.deleteOld(old);
            this.states.delete(urn);
        }
    }

    private async ensureConfigured(): Promise<void> {
        if (!this.configured) {
            await this.rpc("Configure", "", () => this.host.configure(this.config));
            this.configured = true;
        }
    }

    private async checkInputs(
        urn: string,
        inputs: Props,
        preview: boolean,
    ): Promise<{ inputs: Props; secretInputs: string[] }> {
        await this.ensureConfigured();
        const { value: news, secretPaths } = unwrapSecrets(inputs);
        if (!preview && containsUnknown(news)) {
            throw new Error(`${urn}: unknown input values are only allowed in a preview`);
        }
        const old = this.states.get(urn);
        const res = await this.rpc("Check", urn, () => this.host.check(urn, old?.inputs ?? {}, news));
        if (res.failures.length > 0) {
            throw new CheckFailedError(urn, res.failures);
        }
        return { inputs: res.inputs, secretInputs: topLevelKeys(secretPaths) };
    }

    /** Diff against the old outputs and turn the answer into an operation, as the engine's step generator does. */
    private async plan(old: ResourceState, checked: Props): Promise<{ op: Operation; diff: DiffResult }> {
        const diff = await this.rpc("Diff", old.urn, () =>
            this.host.diff(old.id, old.urn, old.outputs, checked, old.inputs),
        );
        // DIFF_UNKNOWN: the engine falls back to comparing old and new inputs itself.
        const changed =
            diff.changes === "DIFF_SOME" ||
            (diff.changes === "DIFF_UNKNOWN" && JSON.stringify(old.inputs) !== JSON.stringify(checked));
        const op = !changed ? "same" : diff.replaces.length > 0 ? "replace" : "update";
        return { op, diff };
    }

    private async deleteOld(old: ResourceState): Promise<void> {
        await this.rpc("Delete", old.urn, () => this.host.delete(old.id, old.urn, old.outputs, old.inputs));
    }

    private rpc<T>(method: RpcMethod, urn: string, fn: () => Promise<T>): Promise<T> {
        this.log.push({ method, urn });
        return fn();
    }
}

export interface CapturedResource {
    type: string;
    name: string;
    /** The serialized inputs exactly as the engine receives them: `__provider` included, secret wrappers kept. */
    inputs: Props;
}

/** The slice of the mock monitor we intercept (a pulumi.runtime MockMonitor instance). */
interface RegisterMonitor {
    registerResource(
        req: { getType(): string; getName(): string; getObject(): Struct | undefined },
        callback: (...args: unknown[]) => void,
    ): void;
}

/**
 * Runs `program` under fresh `pulumi.runtime.setMocks` and returns every `pulumi-nodejs:dynamic*` resource it
 * registered, with the inputs as serialized for the engine. Waits until all registrations finished.
 *
 * setMocks is process-global: this leaves its own mocks installed, so other test files must set theirs in
 * before()/beforeEach() rather than once at load time.
 */
export async function captureDynamicResources(
    program: () => void | Promise<void>,
    opts?: { preview?: boolean; project?: string; stack?: string },
): Promise<CapturedResource[]> {
    const captured: CapturedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => args.inputs,
        },
        opts?.project ?? "project",
        opts?.stack ?? "stack",
        opts?.preview ?? false,
    );
    // The mock monitor receives the RegisterResourceRequest whose Struct is exactly what the engine would get.
    const monitor = pulumi.runtime.getMonitor() as unknown as RegisterMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        if (req.getType().startsWith("pulumi-nodejs:dynamic")) {
            captured.push({ type: req.getType(), name: req.getName(), inputs: fromStruct(req.getObject()) });
        }
        register(req, callback);
    };
    await program();
    // Waits for the RPC queue (including registrations started from apply callbacks) to drain. Under mocks the
    // "disconnect" part only drops a client handle: setMocks installs a fresh monitor next time.
    await pulumi.runtime.disconnect();
    return captured;
}
