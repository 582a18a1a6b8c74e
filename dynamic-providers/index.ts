// Public API of the InfluxDB dynamic providers: the resource classes and their args (what programs import). Their
// providers (`*-provider.ts`) are what the plugin loads through host.ts.
export { Backfill, BackfillArgs } from "./backfill";
export { Authorization, AuthorizationArgs, PermissionArgs } from "./authorization";
export { Bucket, BucketArgs } from "./bucket";
export { ConnectionArgs } from "./connection";
export { PermissionAction, RESOURCE_TYPES, ResourceType, TaskStatus } from "./influx-rules";
export { Organization, OrganizationArgs, OrganizationProbe } from "./organization";
export { Task, TaskArgs } from "./task";
