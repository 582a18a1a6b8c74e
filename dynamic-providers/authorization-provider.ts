// Authorization: the provider the dynamic-provider plugin runs (check, diff rules, create/read/update/delete). The resource
// class programs import is authorization.ts.
import type { Authorization as ApiAuthorization, Permission } from "@influxdata/influxdb-client-apis";
import { Connection, deleteApi, readListed, writeApi } from "./client";
import {
    checkConnection,
    CheckFailure,
    checkId,
    checkStatus,
    compact,
    connectionKey,
    createdSince,
    diffByRules,
    DiffRule,
    isUnknown,
    jsonEqual,
} from "./common";
import { PermissionAction, RESOURCE_TYPES, ResourceType } from "./influx-rules";
import { influxProvider } from "./resource";

/** A permission as the provider sees it. */
export interface PermissionInputs {
    readonly action: PermissionAction;
    readonly resource: { readonly type: ResourceType; readonly id?: string; readonly orgID?: string };
}

export interface AuthorizationInputs {
    readonly connection: Connection;
    readonly orgId: string;
    readonly description: string;
    readonly permissions: PermissionInputs[];
    readonly status: "active" | "inactive";
}

export interface AuthorizationOutputs extends AuthorizationInputs {
    readonly authorizationId: string;
    readonly token: string;
}

function checkPermission(p: unknown, i: number, orgId: unknown): CheckFailure[] {
    const at = `permissions[${i}]`;
    if (isUnknown(p)) {
        return [];
    }
    const perm = (p ?? {}) as { action?: unknown; resource?: { type?: unknown; id?: unknown; orgID?: unknown } };
    const failures: CheckFailure[] = [];
    if (!isUnknown(perm.action) && perm.action !== "read" && perm.action !== "write") {
        failures.push({
            property: `${at}.action`,
            reason: `${at}.action must be "read" or "write"; got ${JSON.stringify(perm.action)}`,
        });
    }
    const type = perm.resource?.type;
    if (!isUnknown(type) && !(RESOURCE_TYPES as readonly unknown[]).includes(type)) {
        failures.push({
            property: `${at}.resource.type`,
            reason: `${at}.resource.type ${JSON.stringify(type)} is not an InfluxDB resource type; use one of ${RESOURCE_TYPES.join(", ")}`,
        });
    }
    if (perm.resource?.id !== undefined) {
        failures.push(...checkId(`${at}.resource.id`, perm.resource.id));
    }
    if (type === "instance") {
        failures.push({
            property: `${at}.resource.type`,
            reason: `${at}.resource.type "instance" cannot be granted by a token: InfluxDB 2.7 refuses it (403)`,
        });
    }
    if (perm.resource?.orgID !== undefined) {
        failures.push(...checkId(`${at}.resource.orgID`, perm.resource.orgID));
        // Authorization.Valid (auth.go): every permission's org must be the token's org, else 400 "is not for org id".
        const orgID = perm.resource.orgID;
        if (!isUnknown(orgID) && !isUnknown(orgId) && typeof orgId === "string" && orgID !== orgId) {
            failures.push({
                property: `${at}.resource.orgID`,
                reason: `${at}.resource.orgID ${JSON.stringify(orgID)} is not the token's organization ${JSON.stringify(orgId)}: InfluxDB refuses a permission for another organization; leave it out to use the token's`,
            });
        }
    }
    return failures;
}

/** Validates authorization inputs offline; unknown values are skipped. */
export function checkAuthorization(news: Record<string, unknown>): CheckFailure[] {
    const failures = [...checkConnection(news.connection), ...checkId("orgId", news.orgId)];
    if (!isUnknown(news.description) && (typeof news.description !== "string" || news.description.trim() === "")) {
        failures.push({ property: "description", reason: "description must say what the token is for (non-empty)" });
    }
    failures.push(...checkStatus(news.status));
    const perms = news.permissions;
    if (!isUnknown(perms) || Array.isArray(perms)) {
        if (!Array.isArray(perms) || perms.length === 0) {
            failures.push({ property: "permissions", reason: "permissions must be a non-empty list" });
        } else {
            perms.forEach((p, i) => failures.push(...checkPermission(p, i, news.orgId)));
        }
    }
    return failures;
}

/** Fills defaults: status active; each permission's orgID defaults to the authorization's org. */
export function normalizeAuthorizationInputs(news: Record<string, unknown>): Record<string, unknown> {
    const orgId = news.orgId;
    const permissions = Array.isArray(news.permissions)
        ? news.permissions.map((p: PermissionInputs) =>
              isUnknown(p)
                  ? p
                  : { action: p.action, resource: compact({ ...p.resource, orgID: p.resource?.orgID ?? orgId }) },
          )
        : news.permissions;
    return compact({ ...news, status: news.status ?? "active", permissions });
}

/** Permissions as a set: order does not matter. */
export function permissionKey(perms: unknown): unknown {
    if (!Array.isArray(perms)) {
        return perms;
    }
    return perms.map((p) => JSON.stringify(p, Object.keys(flatten(p)).sort())).sort();
}

function flatten(v: unknown, out: Record<string, true> = {}): Record<string, true> {
    if (v !== null && typeof v === "object") {
        for (const [k, inner] of Object.entries(v)) {
            out[k] = true;
            flatten(inner, out);
        }
    }
    return out;
}

const AUTH_RULES: readonly DiffRule<Partial<AuthorizationOutputs>, Partial<AuthorizationInputs>>[] = [
    { name: "orgId", old: (o) => o.orgId, new: (n) => n.orgId, replaces: true },
    {
        name: "permissions",
        old: (o) => permissionKey(o.permissions),
        new: (n) => permissionKey(n.permissions),
        replaces: true,
    },
    { name: "description", old: (o) => o.description, new: (n) => n.description },
    { name: "status", old: (o) => o.status ?? "active", new: (n) => n.status ?? "active" },
    { name: "connection", old: (o) => connectionKey(o.connection), new: (n) => connectionKey(n.connection) },
];

/** Pure diff: permission or org changes replace the token; status and description are updated in place. */
export function diffAuthorization(olds: Partial<AuthorizationOutputs>, news: Partial<AuthorizationInputs>) {
    return { ...diffByRules(olds, news, AUTH_RULES), deleteBeforeReplace: false };
}

function samePermissions(a: readonly Permission[] | undefined, b: readonly PermissionInputs[]): boolean {
    const strip = (ps: readonly Permission[] | readonly PermissionInputs[]) =>
        ps.map((p) => ({
            action: p.action,
            resource: compact({ type: p.resource.type, id: p.resource.id, orgID: p.resource.orgID }),
        }));
    return jsonEqual(permissionKey(strip(a ?? [])), permissionKey(strip(b)));
}

function authorizationOutputs(inputs: AuthorizationInputs, a: ApiAuthorization, token: string): AuthorizationOutputs {
    return compact({
        ...inputs,
        authorizationId: a.id ?? "",
        description: a.description ?? inputs.description,
        status: a.status ?? inputs.status,
        token,
    });
}

/** Creates the token. A create whose answer was lost cannot give back its token: the orphan is deleted and redone. */
export async function createAuthorization(
    inputs: AuthorizationInputs,
): Promise<{ id: string; outs: AuthorizationOutputs }> {
    const conn = inputs.connection;
    const started = Date.now();
    const created = await writeApi(
        conn,
        `create token "${inputs.description}"`,
        (a) =>
            a.authorizations.postAuthorizations({
                body: {
                    orgID: inputs.orgId,
                    description: inputs.description,
                    status: inputs.status,
                    permissions: inputs.permissions as Permission[],
                },
            }),
        async (a) => {
            const list = await a.authorizations.getAuthorizations({ orgID: inputs.orgId });
            const orphans = (list.authorizations ?? []).filter(
                (x) =>
                    x.description === inputs.description &&
                    samePermissions(x.permissions, inputs.permissions) &&
                    createdSince(x.createdAt, started),
            );
            for (const o of orphans) {
                await a.authorizations.deleteAuthorizationsID({ authID: o.id ?? "" });
            }
            return undefined;
        },
    );
    if (!created.token) {
        throw new Error(`create token "${inputs.description}": the server returned no token`);
    }
    return { id: created.id ?? "", outs: authorizationOutputs(inputs, created, created.token) };
}

export async function readAuthorization(
    id: string,
    props: AuthorizationOutputs,
): Promise<{ id: string; props: AuthorizationOutputs; inputs: AuthorizationInputs } | undefined> {
    const a = await readListed<ApiAuthorization>(
        props.connection,
        "authorizations",
        props.orgId,
        id,
        `read token "${props.description}" (${id})`,
        (x) => x.authorizations.getAuthorizationsID({ authID: id }),
    );
    if (!a) {
        return undefined;
    }
    // The server cannot give the token back: keep the one from create.
    const outs = authorizationOutputs(props, a, props.token);
    const inputs: AuthorizationInputs = {
        connection: props.connection,
        orgId: props.orgId,
        description: outs.description,
        permissions: props.permissions,
        status: outs.status,
    };
    return { id, props: outs, inputs };
}

export async function updateAuthorization(id: string, olds: AuthorizationOutputs, news: AuthorizationInputs) {
    const a = await writeApi(news.connection, `update token "${news.description}" (${id})`, (x) =>
        x.authorizations.patchAuthorizationsID({
            authID: id,
            body: { status: news.status, description: news.description },
        }),
    );
    return authorizationOutputs(news, a, olds.token);
}

export async function deleteAuthorization(id: string, props: AuthorizationOutputs): Promise<void> {
    await deleteApi(props.connection, `delete token "${props.description}" (${id})`, (x) =>
        x.authorizations.deleteAuthorizationsID({ authID: id }),
    );
}

export const authorizationProvider = influxProvider<AuthorizationInputs, AuthorizationOutputs>({
    check: checkAuthorization,
    normalize: normalizeAuthorizationInputs,
    diff: diffAuthorization,
    create: createAuthorization,
    read: readAuthorization,
    update: updateAuthorization,
    delete: deleteAuthorization,
});
