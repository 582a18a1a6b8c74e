// A "live" stack for tests: runs a Pulumi program under the mock harness (mocks.ts), but every dynamic resource
// (`pulumi-nodejs:dynamic/*`) registration is forwarded to a real Engine over a ProviderHost (provider-host.ts), i.e.
// to the serialized provider running in the real dynamic-provider plugin, against the InfluxDB stand-in. The outputs
// the program sees are the provider's real outputs, so a component's own wiring (bucket IDs flowing into a token's
// permissions, tasks after buckets) is exercised end to end.
//
//     const stack = new LiveStack(host, { stack: "pr-1" });
//     const { run, steps } = await stack.up(() => new InfluxAnalytics("analytics", { influx: standInInflux(target) }));
//     await stack.refresh();
//     await stack.destroy();
//
// Like a Pulumi stack, it keeps state between runs (one Engine per stack): a second `up` is an update (same, update or
// replace per resource), and resources a successful `up` no longer registers are deleted. `destroy` deletes in
// reverse dependency order and honours `deletedWith`, `retainOnDelete` and `protect` as the Pulumi engine does.
//
// Limitations: a custom resource's `id` is the mock harness's `<name>-id`, not the provider's ID (read the ID from an
// output such as `bucketId`); other custom resources (e.g. a fake server) are recorded but not provisioned; the
// engine operations run one at a time by default (`parallel: false`) so that seeded fault injection sees the same
// request sequence on every run.
import * as pulumi from "@pulumi/pulumi";
import { InfluxConnection } from "../../components/connection";
import { ConnectionArgs } from "../../dynamic-providers/connection";
import { Organization } from "../../dynamic-providers/organization";
import { MOCK_ID, MockArgs, MockOutputs, MockRun, runProgram, RunOptions } from "./mocks";
import { Engine, Operation, ProviderHost, Props, ResourceState, SECRET_SIG, SECRET_SIG_KEY } from "./provider-host";

const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";
const STACK_TYPE = "pulumi:pulumi:Stack";

/** One resource in the stack's state, with what the engine needs to order and skip deletes. */
export interface StackResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Custom (provider-managed) resource, as opposed to a component. */
    readonly custom: boolean;
    /** A `pulumi-nodejs:dynamic/*` resource, managed by the Engine. */
    readonly dynamic: boolean;
    readonly parent?: string;
    /** Every direct dependency (explicit and implicit, per property included). */
    readonly dependencies: readonly string[];
    readonly deletedWith?: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly additionalSecretOutputs: readonly string[];
    /** Inputs as serialized by the SDK (other custom resources: compared to decide same/update). */
    readonly inputs: Props;
}

/** What happened to one resource in an operation. */
export type StepOp =
    | Operation
    | "delete"
    /** Not deleted through the provider: `deletedWith` a resource deleted in the same operation, or retained. */
    | "delete-skipped"
    | "refresh"
    /** Refresh found the resource gone: dropped from the state. */
    | "refresh-gone"
    | "failed";

export interface Step {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly op: StepOp;
    /** Wall time of the operation on this resource (Check + Diff + Create/Update/..., or Delete, or Read). */
    readonly ms: number;
    /** For `failed`: the error message; for `delete-skipped`: why. */
    readonly detail?: string;
    /** True when the step ran in a preview (nothing was changed). */
    readonly preview: boolean;
}

/** The outcome of `up` or `preview`: the mock run (result, recorded resources) and the steps. */
export interface LiveRun<T> {
    readonly run: MockRun<T>;
    readonly steps: Step[];
}

/** An `up`, `preview`, `refresh` or `destroy` that failed; `steps` says how far it got. */
export class LiveStackError extends Error {
    constructor(
        readonly cause: unknown,
        readonly steps: Step[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "LiveStackError";
    }
}

export interface LiveStackOptions {
    /** Project name. Default `flagsmith-influxdb`. */
    readonly project?: string;
    /** Stack name. Default `test`. */
    readonly stack?: string;
    /** Run engine operations concurrently, as the Pulumi engine does. Default false: one at a time (deterministic). */
    readonly parallel?: boolean;
    /** Stack config, secret config and mocked outputs of non-dynamic resource types, as for runProgram. */
    readonly config?: RunOptions["config"];
    readonly secretConfig?: RunOptions["secretConfig"];
    readonly mocks?: Record<string, MockOutputs>;
    /** Called when a non-dynamic custom resource (a fake server, say) is deleted through its provider. */
    readonly onDelete?: (resource: StackResource) => void | Promise<void>;
}

/** The slice of the SDK's RegisterResourceRequest read here. */
interface RegisterRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> };
    getDeletedwith(): string;
    getProtect(): boolean;
    getRetainondelete(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type RegisterCallback = (err: unknown, resp: { getUrn(): string } | undefined) => void;
interface MonitorLike {
    registerResource(req: RegisterRequestLike, cb: RegisterCallback): unknown;
    newUrn(parent: string, type: string, name: string): string;
}

/** Registrations seen during one program run. */
interface RunContext {
    readonly preview: boolean;
    /** By `type::name`: the resource as about to be registered (the mock has no URN or options). */
    readonly pending: Map<string, StackResource>;
    /** Registrations that completed, in completion order. */
    readonly registered: Map<string, StackResource>;
    readonly steps: Step[];
}

const keyOf = (type: string, name: string) => `${type}::${name}`;

function wrapSecrets(outputs: Props, secretKeys: readonly string[]): Props {
    return Object.fromEntries(
        Object.entries(outputs).map(([k, v]) => [
            k,
            secretKeys.includes(k) ? { [SECRET_SIG_KEY]: SECRET_SIG, value: v } : v,
        ]),
    );
}

/** A Pulumi stack whose dynamic resources live in a real provider host. See the file comment. */
export class LiveStack {
    /** The engine holding this stack's dynamic resources. */
    readonly engine: Engine;
    private readonly resources = new Map<string, StackResource>();
    private queue: Promise<unknown> = Promise.resolve();

    constructor(
        readonly host: ProviderHost,
        private readonly options: LiveStackOptions = {},
    ) {
        this.engine = new Engine(host);
    }

    get stackName(): string {
        return this.options.stack ?? "test";
    }

    /** Resources in the state (custom resources and components), in the order their registrations completed. */
    state(): StackResource[] {
        return [...this.resources.values()];
    }

    /** Engine state of the dynamic resource with this type (suffix, e.g. `Bucket`) and logical name. */
    dynamicState(type: string, name: string): ResourceState | undefined {
        const r = this.state().find((x) => x.dynamic && x.type.endsWith(`:${type}`) && x.name === name);
        return r ? this.engine.state(r.urn) : undefined;
    }

    /** `pulumi up`: runs the program, forwarding dynamic resources to the engine; then deletes what is gone. */
    async up<T>(program: () => T | Promise<T>): Promise<LiveRun<T>> {
        const ctx = this.newContext(false);
        let run: MockRun<T>;
        try {
            run = await this.runProgram(program, ctx);
        } catch (e) {
            this.remember(ctx);
            throw new LiveStackError(e, ctx.steps);
        }
        this.remember(ctx);
        // Resources the program no longer declares are deleted at the end, as `pulumi up` does.
        const gone = new Set(
            this.state()
                .filter((r) => !ctx.registered.has(r.urn) && r.type !== STACK_TYPE)
                .map((r) => r.urn),
        );
        try {
            await this.deleteAll(gone, ctx.steps);
        } catch (e) {
            throw new LiveStackError(e, ctx.steps);
        }
        return { run, steps: ctx.steps };
    }

    /** `pulumi preview`: Check and Diff only (unknowns allowed); nothing is created, changed or deleted. */
    async preview<T>(program: () => T | Promise<T>): Promise<LiveRun<T>> {
        const ctx = this.newContext(true);
        try {
            return { run: await this.runProgram(program, ctx), steps: ctx.steps };
        } catch (e) {
            throw new LiveStackError(e, ctx.steps);
        }
    }

    /** `pulumi refresh`: reads every dynamic resource; those gone are dropped from the state. */
    async refresh(): Promise<Step[]> {
        const steps: Step[] = [];
        const read = async (r: StackResource): Promise<void> => {
            const started = Date.now();
            try {
                const state = await this.engine.refresh(r.urn);
                if (!state) {
                    this.resources.delete(r.urn);
                }
                steps.push(this.step(r, state ? "refresh" : "refresh-gone", started));
            } catch (e) {
                steps.push(this.step(r, "failed", started, (e as Error).message));
                throw new LiveStackError(e, steps);
            }
        };
        const dynamic = this.state().filter((x) => x.dynamic);
        if (this.options.parallel) {
            // The engine reads every resource at once.
            await Promise.all(dynamic.map(read));
        } else {
            for (const r of dynamic) {
                await read(r);
            }
        }
        return steps;
    }

    /** `pulumi destroy`: deletes everything in reverse dependency order, honouring deletedWith/retainOnDelete. */
    async destroy(): Promise<Step[]> {
        const steps: Step[] = [];
        try {
            await this.deleteAll(new Set(this.resources.keys()), steps);
        } catch (e) {
            throw new LiveStackError(e, steps);
        }
        return steps;
    }

    // -----------------------------------------------------------------------------------------------------------

    private newContext(preview: boolean): RunContext {
        return { preview, pending: new Map(), registered: new Map(), steps: [] };
    }

    private runProgram<T>(program: () => T | Promise<T>, ctx: RunContext): Promise<MockRun<T>> {
        const forward = (args: MockArgs) => this.onNewResource(args, ctx);
        return runProgram(
            () => {
                this.watchRegistrations(ctx);
                return program();
            },
            {
                project: this.options.project,
                stack: this.options.stack,
                preview: ctx.preview,
                config: this.options.config,
                secretConfig: this.options.secretConfig,
                defaultMock: forward,
            },
        );
    }

    /**
     * Wraps the (already instrumented) mock monitor so that every registration's URN and options are known: the
     * mock's newResource receives neither, and destroy needs parents, dependencies and deletedWith.
     */
    private watchRegistrations(ctx: RunContext): void {
        const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
        const inner = monitor.registerResource;
        monitor.registerResource = function (req: RegisterRequestLike, cb: RegisterCallback) {
            const type = req.getType();
            const propertyDeps = [...req.getPropertydependenciesMap().entries()].flatMap(([, l]) => l.getUrnsList());
            const resource: StackResource = {
                urn: monitor.newUrn(req.getParent(), type, req.getName()),
                type,
                name: req.getName(),
                custom: req.getCustom(),
                dynamic: type.startsWith(DYNAMIC_PREFIX),
                parent: req.getParent() || undefined,
                dependencies: [...new Set([...req.getDependenciesList(), ...propertyDeps])],
                deletedWith: req.getDeletedwith() || undefined,
                protect: req.getProtect(),
                retainOnDelete: req.getRetainondelete(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                inputs: req.getObject()?.toJavaScript() ?? {},
            };
            ctx.pending.set(keyOf(type, resource.name), resource);
            return inner.call(this, req, (err, resp) => {
                if (!err && resp) {
                    ctx.registered.set(resp.getUrn(), { ...resource, urn: resp.getUrn() });
                }
                cb(err, resp);
            });
        };
    }

    /** The mock's newResource: dynamic resources go to the engine, others keep their inputs (plus mocked outputs). */
    private async onNewResource(args: MockArgs, ctx: RunContext): Promise<Record<string, unknown>> {
        if (args.id !== undefined && args.type.startsWith(DYNAMIC_PREFIX)) {
            // `Resource.get` of a dynamic resource: the engine reads it through the provider, in previews too.
            const urn = `urn:pulumi:${this.options.stack ?? "test"}::${this.options.project ?? "project"}::${args.type}::${args.name}`;
            const read = await this.engine.get(urn, args.id, args.rawInputs);
            return { ...read.properties, [MOCK_ID]: read.id };
        }
        const resource = ctx.pending.get(keyOf(args.type, args.name));
        if (!resource) {
            throw new Error(`live engine: no registration seen for ${args.type} "${args.name}"`);
        }
        if (!resource.dynamic) {
            return this.otherResource(resource, args, ctx);
        }
        const started = Date.now();
        try {
            if (ctx.preview) {
                // Check + Diff only. As in a real preview: a resource that stays the same keeps its outputs; any
                // other gets its inputs back and its other outputs (IDs, tokens) are unknown.
                const op = await this.serialized(() => this.engine.preview(resource.urn, args.rawInputs));
                ctx.steps.push(this.step(resource, op, started, undefined, true));
                // An existing resource keeps its ID in a preview (the engine knows it), whatever the step.
                const old = this.engine.state(resource.urn);
                const id = old && op !== "replace" ? { [MOCK_ID]: old.id } : {};
                return op === "same" && old ? { ...wrapSecrets(old.outputs, old.secretOutputs), ...id } : id;
            }
            const { op, state } = await this.serialized(() =>
                this.engine.up(resource.urn, args.rawInputs, {
                    additionalSecretOutputs: [...resource.additionalSecretOutputs],
                }),
            );
            ctx.steps.push(this.step(resource, op, started));
            // The engine marks outputs secret when the input was, or additionalSecretOutputs lists them.
            return { ...wrapSecrets(state.outputs, state.secretOutputs), [MOCK_ID]: state.id };
        } catch (e) {
            ctx.steps.push(this.step(resource, "failed", started, (e as Error).message, ctx.preview));
            throw e;
        }
    }

    private async otherResource(resource: StackResource, args: MockArgs, ctx: RunContext) {
        const started = Date.now();
        const mock = this.options.mocks?.[args.type];
        const extra = typeof mock === "function" ? await mock(args) : ctx.preview ? undefined : mock;
        if (resource.custom) {
            const old = this.resources.get(resource.urn);
            const op: Operation = !old
                ? "create"
                : JSON.stringify(old.inputs) === JSON.stringify(resource.inputs)
                  ? "same"
                  : "update";
            ctx.steps.push(this.step(resource, op, started, undefined, ctx.preview));
        }
        return extra ?? {};
    }

    /** Adds what a run registered to the state (also after a failed run: what was created stays). */
    private remember(ctx: RunContext): void {
        if (ctx.preview) {
            return;
        }
        for (const [urn, r] of ctx.registered) {
            if (r.dynamic && !this.engine.state(urn)) {
                continue;
            }
            this.resources.set(urn, r);
        }
    }

    /**
     * Deletes `condemned` dependents first. As the Pulumi engine does: a protected resource fails the operation
     * before anything is deleted; a resource whose `deletedWith` target is deleted in the same operation, or that
     * is `retainOnDelete`, is dropped from the state without calling its provider.
     */
    private async deleteAll(condemned: Set<string>, steps: Step[]): Promise<void> {
        const protectedOnes = [...condemned].filter((urn) => this.resources.get(urn)?.protect);
        if (protectedOnes.length > 0) {
            throw new Error(
                `cannot delete protected resource(s) ${protectedOnes.join(", ")}: unprotect them first ` +
                    `(pulumi state unprotect)`,
            );
        }
        const deleteOne = async (urn: string): Promise<void> => {
            const r = this.resources.get(urn)!;
            const started = Date.now();
            const skip = r.retainOnDelete
                ? "retainOnDelete"
                : r.deletedWith && condemned.has(r.deletedWith)
                  ? `deletedWith ${r.deletedWith}`
                  : undefined;
            if (r.dynamic) {
                if (skip) {
                    this.forget(urn);
                } else {
                    try {
                        await this.serialized(() => this.engine.destroy(urn));
                    } catch (e) {
                        steps.push(this.step(r, "failed", started, (e as Error).message));
                        throw e;
                    }
                }
            } else if (r.custom && !skip) {
                await this.options.onDelete?.(r);
            }
            this.resources.delete(urn);
            if (r.custom) {
                steps.push(this.step(r, skip ? "delete-skipped" : "delete", started, skip));
            }
        };
        const order = this.deleteOrder(condemned);
        if (!this.options.parallel) {
            for (const urn of order) {
                await deleteOne(urn);
            }
            return;
        }
        // As the engine does in parallel: each delete waits only for the deletes of what depends on it.
        const deleted = new Map<string, Promise<void>>();
        for (const urn of order) {
            const dependents = order.filter((u) => deleted.has(u) && this.dependsOn(u).includes(urn));
            deleted.set(
                urn,
                Promise.all(dependents.map((u) => deleted.get(u))).then(() => deleteOne(urn)),
            );
        }
        await Promise.all(deleted.values());
    }

    /** What a resource in the state depends on: its parent, dependencies and deletedWith target. */
    private dependsOn(urn: string): string[] {
        const r = this.resources.get(urn)!;
        return [r.parent, ...r.dependencies, r.deletedWith].filter((d): d is string => d !== undefined);
    }

    /** Dependents before their dependencies (parent, dependencies, deletedWith); otherwise reverse registration. */
    private deleteOrder(condemned: Set<string>): string[] {
        const list = [...this.resources.keys()].filter((u) => condemned.has(u));
        const order: string[] = [];
        const done = new Set<string>();
        const visit = (urn: string, path: string[]): void => {
            if (done.has(urn)) {
                return;
            }
            if (path.includes(urn)) {
                throw new Error(`dependency cycle: ${[...path, urn].join(" -> ")}`);
            }
            for (const dependent of [...list].reverse().filter((u) => this.dependsOn(u).includes(urn))) {
                visit(dependent, [...path, urn]);
            }
            done.add(urn);
            order.push(urn);
        };
        for (const urn of [...list].reverse()) {
            visit(urn, []);
        }
        return order;
    }

    /** Drops a resource from the engine's state without calling its provider (deletedWith / retainOnDelete). */
    private forget(urn: string): void {
        // The Engine has no public way to forget state; its map is private, so reach it by name.
        (this.engine["states"] as Map<string, ResourceState>).delete(urn);
    }

    /** Runs engine operations one at a time unless `parallel` is set. */
    private serialized<T>(fn: () => Promise<T>): Promise<T> {
        if (this.options.parallel) {
            return fn();
        }
        const result = this.queue.then(fn, fn);
        this.queue = result.catch(() => undefined);
        return result;
    }

    private step(r: StackResource, op: StepOp, started: number, detail?: string, preview = false): Step {
        return { urn: r.urn, type: r.type, name: r.name, op, ms: Date.now() - started, detail, preview };
    }
}

/** Operations per logical name (custom resources), e.g. `{ "analytics-raw": "same" }`. */
export function opsByName(steps: readonly Step[]): Record<string, StepOp> {
    return Object.fromEntries(steps.map((s) => [s.name, s.op]));
}

// ---------------------------------------------------------------------------------------------------------------
// An InfluxConnection for a stand-in (or any reachable server), for programs run by a LiveStack.
// ---------------------------------------------------------------------------------------------------------------

/** A custom resource of type `test:influxdb:Server` that stands for the server's storage (Docker volume, Release). */
export class FakeServer extends pulumi.CustomResource {
    static readonly TYPE = "test:influxdb:Server";
    constructor(name: string, opts?: pulumi.CustomResourceOptions) {
        super(FakeServer.TYPE, name, { kind: "fake" }, opts);
    }
}

export interface StandInInfluxOptions {
    /** Create a FakeServer and make it the connection's `server` (everything inside is deletedWith it). */
    readonly server?: boolean;
    /** Resolve the org ID through an Organization resource (as the Docker/Kubernetes components do). Default true. */
    readonly organization?: boolean;
    /** Timeouts of the Organization lookup's connection (InfluxAnalytics takes its own). */
    readonly timeouts?: Pick<
        ConnectionArgs,
        "readyTimeoutSeconds" | "operationTimeoutSeconds" | "requestTimeoutSeconds"
    >;
    /** The bucket the server's first-boot setup made. Default `flagsmith` (the stand-in's). */
    readonly initialBucket?: string;
}

/** Builds an InfluxConnection to `target` from plain values; call it inside the program. */
export function standInInflux(
    target: { url: string; token: string; orgId: string; orgName: string },
    options: StandInInfluxOptions = {},
): InfluxConnection {
    const server = options.server ? new FakeServer("influxdb-data") : undefined;
    const adminToken = pulumi.secret(target.token);
    const managementUrl = pulumi.output(target.url);
    const org = pulumi.output(target.orgName);
    const orgId =
        options.organization === false
            ? pulumi.output(target.orgId)
            : new Organization(
                  "influxdb-org",
                  { connection: { url: managementUrl, token: adminToken, ...options.timeouts }, name: org },
                  { deletedWith: server },
              ).orgId;
    return {
        internalUrl: pulumi.output("http://influxdb:8086"),
        managementUrl,
        org,
        orgId,
        adminToken,
        initialBucket: pulumi.output(options.initialBucket ?? "flagsmith"),
        server,
        readiness: [],
    };
}
