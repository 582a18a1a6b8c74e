// Organization: the provider the dynamic-provider plugin runs (check, diff rules, create/read/update/delete). The resource
// class programs import is organization.ts.
import { Connection, readApi } from "./client";
import { checkConnection, compact, connectionKey, diffByRules, DiffRule, isUnknown } from "./common";
import { isInfluxId } from "./influx-rules";
import { influxProvider } from "./resource";

interface OrganizationInputs {
    readonly connection: Connection;
    readonly name: string;
    readonly organizationIdOnServer?: string;
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
    {
        // Only a known, non-empty answer of the probe counts: a preview that could not reach the server changes nothing.
        name: "organizationIdOnServer",
        old: (o) => o.orgId,
        new: (n) => n.organizationIdOnServer,
        when: (n) => !isUnknown(n.organizationIdOnServer) && !!n.organizationIdOnServer,
        replaces: true,
    },
];

async function resolve(inputs: OrganizationInputs): Promise<{ id: string; outs: OrganizationOutputs }> {
    const org = await findOrganization(inputs);
    if (!org?.id) {
        throw new Error(
            `organization "${inputs.name}" not found at ${inputs.connection.url}: check the org setting ` +
                `(the name or ID of an existing organization the token can read; an inactive token sees none)`,
        );
    }
    return { id: org.id, outs: compact({ ...inputs, orgId: org.id }) };
}

async function findOrganization(inputs: Pick<OrganizationInputs, "connection" | "name">) {
    // A name that matches nothing is a 404 "organization name ... not found": undefined.
    const list = await readApi(inputs.connection, `look up organization "${inputs.name}"`, (a) =>
        a.orgs.getOrgs({ org: inputs.name }),
    );
    // By name first; then, as Flagsmith's INFLUXDB_ORG and the InfluxDB clients accept an ID too (http/requests.go
    // `queryOrganization` of InfluxDB v2.7.12 tries `org` as an ID), by ID when no organization has that name.
    return (
        (list?.orgs ?? []).find((o) => o.name === inputs.name) ??
        (isInfluxId(inputs.name)
            ? await readApi(inputs.connection, `read organization ${inputs.name}`, (a) =>
                  a.orgs.getOrgsID({ orgID: inputs.name }),
              )
            : undefined)
    );
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

// ---------------------------------------------------------------------------------------------------------------
// OrganizationProbe: which organization ID the server behind the URL has now, read at every preview and update.
// ---------------------------------------------------------------------------------------------------------------

/** What a probe answers. */
export interface ProbeOutputs {
    readonly connection: Connection;
    readonly name: string;
    /** The organization's ID on the server now; empty when the probe could not tell. */
    readonly orgId: string;
    /** Why the probe could not tell (unreachable, refused); empty when it could. */
    readonly problem: string;
}

/** How long a probe may take: a preview that cannot reach InfluxDB (a pull request's) must not wait for it. */
const PROBE_SECONDS = 5;

/**
 * Asks the server, quickly, for the organization's ID. Never fails: a server that cannot be reached or refuses gives
 * an empty ID and the reason, and the stack then goes on with the ID it has.
 */
export async function probeOrganization(
    props: Pick<ProbeOutputs, "connection" | "name">,
): Promise<{ orgId: string; problem: string }> {
    const quick = {
        ...props.connection,
        readyTimeoutSeconds: PROBE_SECONDS,
        operationTimeoutSeconds: PROBE_SECONDS,
        requestTimeoutSeconds: PROBE_SECONDS,
    };
    try {
        const org = await findOrganization({ connection: quick, name: props.name });
        return org?.id
            ? { orgId: org.id, problem: "" }
            : { orgId: "", problem: `no organization "${props.name}" on the server` };
    } catch (e) {
        return { orgId: "", problem: (e as Error).message };
    }
}

/**
 * The probe's state after an answer. One that cannot tell keeps what the state had (a `refresh` with a token that
 * sees nothing, say, changes no state); a first read records the empty ID and why.
 */
export function answered(props: ProbeOutputs, found: { orgId: string; problem: string }): ProbeOutputs {
    return found.orgId ? { ...props, ...found } : { ...found, ...props };
}

/** The probe's state after asking the server. */
async function probed(props: ProbeOutputs): Promise<ProbeOutputs> {
    return answered(props, await probeOrganization(props));
}

// Read only (`OrganizationProbe.get`): the engine reads it at every preview and update; nothing to create or delete.
export const organizationProbeProvider = influxProvider<ProbeOutputs, ProbeOutputs>({
    check: (news) => checkConnection(news.connection),
    diff: () => ({ changes: false }),
    create: async (inputs) => ({ id: inputs.name, outs: await probed(inputs) }),
    read: async (id, props) => ({ id, props: await probed(props) }),
    update: async (_id, _olds, news) => probed(news),
});
