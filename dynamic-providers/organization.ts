// Organization: resolves an organization name to its ID. Pulumi does not own the organization: delete is a no-op.
import * as pulumi from "@pulumi/pulumi";
import { callApi, Connection, readApi } from "./client";
import { checkConnection, compact, connectionKey, diffByRules, DiffRule, isUnknown } from "./common";
import { ConnectionArgs } from "./connection";
import { InfluxResource, influxProvider } from "./resource";

export { ConnectionArgs } from "./connection";

/** Arguments of an Organization lookup. */
export interface OrganizationArgs {
    /** Connection to the InfluxDB API; the token is made secret. */
    readonly connection: pulumi.Input<ConnectionArgs>;
    /** Name of an existing organization. Changing it looks up another organization (replacement). */
    readonly name: pulumi.Input<string>;
}

interface OrganizationInputs {
    readonly connection: Connection;
    readonly name: string;
}

interface OrganizationOutputs extends OrganizationInputs {
    readonly orgId: string;
}

/** Validates the lookup's inputs offline. */
export function checkOrganization(news: Record<string, unknown>) {
    const failures = checkConnection(news.connection);
    if (!isUnknown(news.name) && (typeof news.name !== "string" || news.name.trim() === "")) {
        failures.push({ property: "name", reason: "name must be the non-empty name of an existing organization" });
    }
    return failures;
}

const ORG_RULES: readonly DiffRule<Partial<OrganizationOutputs>, Partial<OrganizationInputs>>[] = [
    { name: "name", old: (o) => o.name, new: (n) => n.name, replaces: true },
    { name: "connection", old: (o) => connectionKey(o.connection), new: (n) => connectionKey(n.connection) },
];

async function resolve(inputs: OrganizationInputs): Promise<{ id: string; outs: OrganizationOutputs }> {
    const list = await callApi(inputs.connection, `look up organization "${inputs.name}"`, (a) =>
        a.orgs.getOrgs({ org: inputs.name }),
    ).catch((e: { status?: number }) => {
        if (e.status === 404) {
            return { orgs: [] };
        }
        throw e;
    });
    const org = (list.orgs ?? []).find((o) => o.name === inputs.name);
    if (!org?.id) {
        throw new Error(
            `organization "${inputs.name}" not found at ${inputs.connection.url}: check the org setting ` +
                `(it must name an existing organization the token can read)`,
        );
    }
    return { id: org.id, outs: compact({ ...inputs, orgId: org.id }) };
}

async function readOrganization(
    id: string,
    props: OrganizationOutputs,
): Promise<{ id: string; props: OrganizationOutputs; inputs: OrganizationInputs } | undefined> {
    const org = await readApi(props.connection, `read organization ${id}`, (a) => a.orgs.getOrgsID({ orgID: id }));
    if (!org) {
        return undefined;
    }
    return {
        id,
        props: compact({ ...props, name: org.name, orgId: id }),
        inputs: { connection: props.connection, name: org.name },
    };
}

// Delete is not given: the organization is not owned by this stack.
export const organizationProvider = influxProvider<OrganizationInputs, OrganizationOutputs>({
    check: checkOrganization,
    diff: (olds, news) => diffByRules(olds, news, ORG_RULES),
    create: resolve,
    read: readOrganization,
    update: async (_id, _olds, news) => (await resolve(news)).outs,
});

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
