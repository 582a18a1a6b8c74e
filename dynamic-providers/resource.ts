// The one shape of every InfluxDB dynamic provider and resource: a provider built from plain functions (check, diff,
// create, read, update, delete), and resource props/options that keep the connection secret.
import * as pulumi from "@pulumi/pulumi";
import { CheckFailure } from "./common";
import { ConnectionArgs, secretConnection } from "./connection";
import { withUnreachableDeleteHint } from "./errors";
import { ProviderKind, providerStub } from "./stub";

/** What every InfluxDB resource in an organization takes. */
export interface InfluxResourceArgs {
    /** Connection to the InfluxDB API; the token is made secret. */
    readonly connection: pulumi.Input<ConnectionArgs>;
    /** ID of the organization the resource belongs to (16 hex characters). Changing it replaces the resource. */
    readonly orgId: pulumi.Input<string>;
}

/** The plain functions behind a provider. `read` answers undefined when the resource is gone. */
export interface ProviderImpl<I, O> {
    readonly check: (news: Record<string, unknown>) => CheckFailure[] | Promise<CheckFailure[]>;
    /** Fills defaults into the checked inputs. Default: as given. */
    readonly normalize?: (news: Record<string, unknown>) => Record<string, unknown>;
    readonly diff: (olds: Partial<O>, news: Partial<I>) => pulumi.dynamic.DiffResult;
    readonly create: (inputs: I) => Promise<{ id: string; outs: O }>;
    readonly read?: (id: string, props: O) => Promise<{ id: string; props: O; inputs?: I } | undefined>;
    readonly update: (id: string, olds: O, news: I) => Promise<O>;
    /** Default: nothing to delete. */
    readonly delete?: (id: string, props: O) => Promise<void>;
}

/** A dynamic provider from plain functions. It holds no state: everything arrives in the inputs. */
export function influxProvider<I, O>(impl: ProviderImpl<I, O>): pulumi.dynamic.ResourceProvider {
    return {
        async check(_olds, news) {
            const failures = await impl.check(news);
            return { inputs: impl.normalize ? impl.normalize(news) : news, failures };
        },
        async diff(_id, olds, news) {
            return impl.diff(olds, news);
        },
        async create(inputs) {
            return impl.create(inputs as I);
        },
        async read(id, props) {
            const found = impl.read ? await impl.read(id, props as O) : { id, props: props as O };
            return found ?? { id: "", props: {} };
        },
        async update(id, olds, news) {
            return { outs: await impl.update(id, olds as O, news as I) };
        },
        async delete(id, props) {
            try {
                await impl.delete?.(id, props as O);
            } catch (e) {
                throw withUnreachableDeleteHint(e);
            }
        },
    };
}

/** Resource props: the args with the connection made secret, plus the provider's output names (unset). */
function influxResourceProps<A extends { readonly connection: pulumi.Input<ConnectionArgs> }>(
    args: A,
    outputs: readonly string[],
): Record<string, unknown> {
    return {
        ...args,
        connection: secretConnection(args.connection),
        ...Object.fromEntries(outputs.map((o) => [o, undefined])),
    };
}

/** Resource options: the connection (and `secretOutputs`) are secret in the state. */
function influxResourceOptions(
    opts: pulumi.CustomResourceOptions | undefined,
    secretOutputs: readonly string[] = [],
): pulumi.CustomResourceOptions {
    return {
        ...opts,
        additionalSecretOutputs: [...secretOutputs, "connection", ...(opts?.additionalSecretOutputs ?? [])],
    };
}

/**
 * Base of every InfluxDB dynamic resource: type `pulumi-nodejs:dynamic/influxdb:<kind>`, served by the stub of that
 * kind, with the connection (and `secretOutputs`) secret in the state.
 */
export abstract class InfluxResource extends pulumi.dynamic.Resource {
    protected constructor(
        kind: ProviderKind,
        name: string,
        args: { readonly connection: pulumi.Input<ConnectionArgs> },
        outputs: readonly string[],
        opts?: pulumi.CustomResourceOptions,
        secretOutputs: readonly string[] = [],
    ) {
        super(
            providerStub(kind),
            name,
            influxResourceProps(args, outputs),
            influxResourceOptions(opts, secretOutputs),
            "influxdb",
            kind,
        );
    }
}
