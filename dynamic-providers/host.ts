// What the serialized stubs (stub.ts) load in the dynamic-provider plugin: each kind's provider implementation.
import type * as pulumi from "@pulumi/pulumi";
import { authorizationProvider } from "./authorization";
import { backfillProvider } from "./backfill";
import { bucketProvider } from "./bucket";
import { organizationProbeProvider, organizationProvider } from "./organization";
import type { ProviderKind } from "./stub";
import { taskProvider } from "./task";

/** The provider implementations by kind. */
export const providers: Readonly<Record<ProviderKind, pulumi.dynamic.ResourceProvider>> = {
    Authorization: authorizationProvider,
    Backfill: backfillProvider,
    Bucket: bucketProvider,
    Organization: organizationProvider,
    OrganizationProbe: organizationProbeProvider,
    Task: taskProvider,
};
