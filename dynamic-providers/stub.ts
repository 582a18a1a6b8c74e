// The provider Pulumi serializes into every dynamic resource's state (`__provider`): a few lines that, in the
// dynamic-provider plugin, load this project's provider implementations (`host.ts`) and call them.
//
// Why a stub rather than the providers themselves: a serialized provider carries its whole call graph (~40-60 KiB per
// resource); it changes with every edit of any provider function (so every resource showed a `__provider` change);
// and Pulumi's closure serializer breaks classes, `Set` and `Symbol`. The plugin runs with the Pulumi program's
// directory as its working directory (it finds `@pulumi/pulumi` there itself), so the stub resolves the project from
// `process.cwd()` and loads its TypeScript with ts-node (a dependency), once per plugin process.
import type * as pulumi from "@pulumi/pulumi";

/** The dynamic resource kinds, i.e. the keys of `host.ts`'s `providers`. */
export type ProviderKind = "Authorization" | "Backfill" | "Bucket" | "Organization" | "OrganizationProbe" | "Task";

/** Path of the implementation module, relative to the Pulumi program's directory. */
export const HOST_MODULE = "./dynamic-providers/host";

/** One stub object per kind: Pulumi caches a provider's serialization by object, so each kind is serialized once. */
const stubs = new Map<ProviderKind, pulumi.dynamic.ResourceProvider>();

/** The small serializable provider for `kind` (the same object every time). It captures two strings, no state. */
export function providerStub(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
    let stub = stubs.get(kind);
    if (!stub) {
        stub = makeStub(kind);
        stubs.set(kind, stub);
    }
    return stub;
}

function makeStub(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
    const hostModule = HOST_MODULE;
    const load = (): Required<pulumi.dynamic.ResourceProvider> => {
        const path = require("path") as typeof import("path");
        const root = process.cwd();
        const g = globalThis as { __flagsmithInfluxTsNode?: boolean };
        let host: { providers: Record<string, Required<pulumi.dynamic.ResourceProvider>> };
        try {
            if (!g.__flagsmithInfluxTsNode && !require.extensions[".ts"]) {
                const tsNode = require(require.resolve("ts-node", { paths: [root] })) as typeof import("ts-node");
                tsNode.register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
            }
            g.__flagsmithInfluxTsNode = true;
            host = require(path.resolve(root, hostModule)) as typeof host;
        } catch (e) {
            throw new Error(
                `cannot load the InfluxDB providers (${hostModule}) from ${root}: the plugin must run in the Pulumi ` +
                    `program's directory, with its dependencies installed (npm ci). ${(e as Error).message}`,
            );
        }
        return host.providers[kind];
    };
    return {
        check: (olds, news) => load().check(olds, news),
        diff: (id, olds, news) => load().diff(id, olds, news),
        create: (inputs) => load().create(inputs),
        read: (id, props) => load().read(id, props),
        update: (id, olds, news) => load().update(id, olds, news),
        delete: (id, props) => load().delete(id, props),
    };
}
