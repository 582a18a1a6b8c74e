// What the serialized stubs (stub.ts) load in the dynamic-provider plugin: each kind's provider implementation.
//
// THE STUB CONTRACT. Every dynamic resource's state holds a stub (`__provider`) that, in the plugin, requires this
// module by the path `./dynamic-providers/host` relative to the program's directory, and calls
// `providers[<kind>].<check|diff|create|read|update|delete>`. Stacks deployed by any earlier version hold such stubs,
// and `refresh`, `up` and `destroy` run them against the checkout they run in. So:
//   1. this file stays at `dynamic-providers/host.ts` and keeps exporting `providers`;
//   2. a kind is never renamed or removed (keep the old name as an alias of the new provider);
//   3. each provider keeps reading the state shapes earlier versions wrote.
// test/dynamic-providers/stub.test.ts replays a stub committed by an earlier version (test/fixtures/) through the
// real plugin; an unknown kind answers with an error that says what happened instead of a bare TypeError.
import type * as pulumi from "@pulumi/pulumi";
import { authorizationProvider } from "./authorization-provider";
import { backfillProvider } from "./backfill-provider";
import { bucketProvider } from "./bucket-provider";
import { organizationProbeProvider, organizationProvider } from "./organization-provider";
import type { ProviderKind } from "./stub";
import { taskProvider } from "./task-provider";

/** The provider implementations this checkout serves, by kind. */
const served: Readonly<Record<ProviderKind, pulumi.dynamic.ResourceProvider>> = {
    Authorization: authorizationProvider,
    Backfill: backfillProvider,
    Bucket: bucketProvider,
    Organization: organizationProvider,
    OrganizationProbe: organizationProbeProvider,
    Task: taskProvider,
};

/** A provider whose every call fails saying that this checkout does not serve `kind`. */
function unservedKind(kind: string): pulumi.dynamic.ResourceProvider {
    const fail = async (): Promise<never> => {
        throw new Error(
            `this stack's state has an InfluxDB resource of kind "${kind}", which this checkout of the program does ` +
                `not serve (dynamic-providers/host.ts serves ${Object.keys(served).join(", ")}). The stack was ` +
                "deployed by another version: run the command from a checkout of that version (or of one that " +
                "still serves the kind).",
        );
    };
    return { check: fail, diff: fail, create: fail, read: fail, update: fail, delete: fail };
}

/** The provider implementations by kind; an unknown kind (a state from another version) fails clearly. */
export const providers: Readonly<Record<ProviderKind, pulumi.dynamic.ResourceProvider>> = new Proxy(served, {
    get: (target, kind) =>
        typeof kind === "string" && !Object.prototype.hasOwnProperty.call(target, kind)
            ? unservedKind(kind)
            : target[kind as ProviderKind],
});
