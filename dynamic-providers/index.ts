// Public API of the InfluxDB dynamic providers.
export { Backfill, BackfillArgs } from "./backfill";
export { Authorization, AuthorizationArgs, PermissionArgs, RESOURCE_TYPES } from "./authorization";
export { Bucket, BucketArgs } from "./bucket";
export { ConnectionArgs } from "./connection";
export { Organization, OrganizationArgs } from "./organization";
export { Task, TaskArgs, TaskStatus } from "./task";
