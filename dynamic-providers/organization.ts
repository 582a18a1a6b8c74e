// Organization: the resource class and its args, what programs import. Its provider (what the plugin runs) is organization-provider.ts.
import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs } from "./connection";
import { InfluxResource } from "./resource";

/** Arguments of an Organization lookup. */
export interface OrganizationArgs {
    /** Connection to the InfluxDB API; the token is made secret. */
    readonly connection: pulumi.Input<ConnectionArgs>;
    /** Name of an existing organization. Changing it looks up another organization (replacement). */
    readonly name: pulumi.Input<string>;
    /**
     * The ID the server has for `name` now ({@link OrganizationProbe}). Default: not compared. Differing from the ID
     * looked up before, the lookup is replaced: the server behind the URL is a new one (a new first boot).
     */
    readonly organizationIdOnServer?: pulumi.Input<string>;
}

/** Looks up an existing InfluxDB organization by name; its Pulumi ID is the organization ID. */
export class Organization extends InfluxResource {
    /** The organization's ID. */
    declare public readonly orgId: pulumi.Output<string>;
    /** The organization's name. */
    declare public readonly name: pulumi.Output<string>;

    constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
        super("Organization", name, args, ["orgId"], opts);
    }
}

/**
 * Which ID the server behind a connection has now for an organization, read (never created) at every `preview` and
 * `up`: compared with the ID a stack looked up before, it tells that the server is a new one (an empty server after a
 * new first boot behind the same URL). Get it with {@link OrganizationProbe.get}; its Pulumi ID is the organization
 * name.
 */
export class OrganizationProbe extends InfluxResource {
    /** The organization's ID on the server now; empty when the probe could not tell (see `problem`). */
    declare public readonly orgId: pulumi.Output<string>;
    /** Why the probe could not tell; empty when it could. */
    declare public readonly problem: pulumi.Output<string>;

    private constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
        super("OrganizationProbe", name, args, ["orgId", "problem"], opts);
    }

    /** Reads the organization named `org` through `connection`; `opts.dependsOn` should hold the server's readiness. */
    static get(
        name: string,
        org: pulumi.Input<string>,
        connection: pulumi.Input<ConnectionArgs>,
        opts?: pulumi.CustomResourceOptions,
    ): OrganizationProbe {
        return new OrganizationProbe(name, { connection, name: org }, { ...opts, id: org });
    }
}
