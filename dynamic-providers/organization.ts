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
    // By name first; then, as Flagsmith's INFLUXDB_ORG and the InfluxDB clients accept an ID too (http/requests.go
    // `queryOrganization` of InfluxDB v2.7.12 tries `org` as an ID), by ID when no organization has that name.
    const org =
        (list.orgs ?? []).find((o) => o.name === inputs.name) ??
        (isOrgId(inputs.name)
            ? await readApi(inputs.connection, `read organization ${inputs.name}`, (a) =>
                  a.orgs.getOrgsID({ orgID: inputs.name }),
              )
            : undefined);
    if (!org?.id) {
        throw new Error(
            `organization "${inputs.name}" not found at ${inputs.connection.url}: check the org setting ` +
                `(the name or ID of an existing organization the token can read; an inactive token sees none)`,
        );
    }
    return { id: org.id, outs: compact({ ...inputs, orgId: org.id }) };
}

/** An InfluxDB ID: 16 lower-case hex characters. */
function isOrgId(value: string): boolean {
    return /^[0-9a-f]{16}$/.test(value);
}

async function readOrganization(
    id: string,
    props: OrganizationOutputs,
): Promise<{ id: string; props: OrganizationOutputs; inputs: OrganizationInputs } | undefined> {
    const org = await readApi(props.connection, `read organization ${id}`, (a) => a.orgs.getOrgsID({ orgID: id }));
    if (!org) {
        return undefined;
    }
    // Given by ID, the organization keeps the ID as its name input: the server's name is not what the user wrote.
    const name = props.name === id ? id : org.name;
    return {
        id,
        props: compact({ ...props, name, orgId: id }),
        inputs: { connection: props.connection, name },
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
