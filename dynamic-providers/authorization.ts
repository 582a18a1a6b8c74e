// Authorization: the resource class and its args, what programs import. Its provider (what the plugin runs) is authorization-provider.ts.
import * as pulumi from "@pulumi/pulumi";
import type { PermissionInputs } from "./authorization-provider";
import { PermissionAction, ResourceType } from "./influx-rules";
import { InfluxResource, InfluxResourceArgs } from "./resource";

/** One permission of a token. */
export interface PermissionArgs {
    /** `read` or `write`. */
    readonly action: pulumi.Input<PermissionAction>;
    /** What it applies to: all resources of `type` in `orgID`, or only the one with `id`. */
    readonly resource: pulumi.Input<{
        /** Resource type, e.g. `buckets`. */
        readonly type: pulumi.Input<ResourceType>;
        /** A single resource's ID. Default: all of the type. */
        readonly id?: pulumi.Input<string>;
        /** Organization owning the resources. Default: the authorization's `orgId`. */
        readonly orgID?: pulumi.Input<string>;
    }>;
}

/** Arguments of an Authorization. */
export interface AuthorizationArgs extends InfluxResourceArgs {
    /** Description shown in the InfluxDB UI. Updated in place. */
    readonly description: pulumi.Input<string>;
    /** Permissions; at least one. Any change replaces the token (InfluxDB cannot edit permissions). */
    readonly permissions: pulumi.Input<pulumi.Input<PermissionArgs>[]>;
    /** `active` (default) or `inactive`. Updated in place. */
    readonly status?: pulumi.Input<"active" | "inactive">;
}

/** An InfluxDB API token with explicit permissions. Its Pulumi ID is the authorization ID; `token` is a secret. */
export class Authorization extends InfluxResource {
    /** The authorization ID. */
    declare public readonly authorizationId: pulumi.Output<string>;
    /** The token value. Secret. */
    declare public readonly token: pulumi.Output<string>;
    /** `active` or `inactive`. */
    declare public readonly status: pulumi.Output<string>;
    /** Permissions as declared (with orgID filled in). */
    declare public readonly permissions: pulumi.Output<PermissionInputs[]>;

    constructor(name: string, args: AuthorizationArgs, opts?: pulumi.CustomResourceOptions) {
        super("Authorization", name, args, ["authorizationId", "token"], opts, ["token"]);
    }
}
