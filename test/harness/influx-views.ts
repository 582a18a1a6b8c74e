// JSON representations of the stand-in's records, shaped like InfluxDB 2.7's HTTP handlers render them.
import { formatOffset } from "./flux-task-options";
import {
    AuthorizationState,
    BucketState,
    goTime,
    OrgState,
    Permission,
    RunState,
    TaskState,
    UserState,
} from "./influx-model";
import type { InfluxState } from "./influx-state";
import { rendersWithoutShardGroups, ServerKind } from "./influx-server-kinds";

export type Json = Record<string, unknown>;

/** How the stand-in renders a few things that changed across 2.x versions. */
export interface ViewOptions {
    /** The server the stand-in answers as (influx-server-kinds.ts). Default "2.7". */
    readonly server?: ServerKind;
}

/** `self`/`next`/`prev` links of a listing, the way influxdb.NewPagingLinks builds them. */
export function pagingLinks(
    prefix: string,
    params: Record<string, string | undefined>,
    offset: number,
    limit: number,
    count: number,
): Json {
    const query = (o: number) => {
        const all: Record<string, string> = { descending: "false", limit: String(limit), offset: String(o) };
        for (const [k, v] of Object.entries(params)) {
            if (v !== undefined && v !== "") {
                all[k] = v;
            }
        }
        return new URLSearchParams(Object.entries(all).sort(([a], [b]) => a.localeCompare(b))).toString();
    };
    const links: Json = { self: `${prefix}?${query(offset)}` };
    if (count >= limit) {
        links.next = `${prefix}?${query(offset + limit)}`;
    }
    if (offset > 0) {
        links.prev = `${prefix}?${query(Math.max(0, offset - limit))}`;
    }
    return links;
}

export class Views {
    constructor(
        private readonly state: InfluxState,
        private readonly options: ViewOptions = {},
    ) {}

    org(o: OrgState): Json {
        const q = encodeURIComponent(o.name);
        return {
            links: {
                self: `/api/v2/orgs/${o.id}`,
                members: `/api/v2/orgs/${o.id}/members`,
                owners: `/api/v2/orgs/${o.id}/owners`,
                labels: `/api/v2/orgs/${o.id}/labels`,
                secrets: `/api/v2/orgs/${o.id}/secrets`,
                buckets: `/api/v2/buckets?org=${q}`,
                tasks: `/api/v2/tasks?org=${q}`,
                dashboards: `/api/v2/dashboards?org=${q}`,
            },
            id: o.id,
            name: o.name,
            description: o.description,
            createdAt: goTime(o.createdAt),
            updatedAt: goTime(o.updatedAt),
        };
    }

    user(u: UserState): Json {
        return { links: { self: `/api/v2/users/${u.id}` }, id: u.id, name: u.name, status: "active" };
    }

    private retentionRules(b: BucketState): Json[] {
        const infinite = b.retentionSeconds === 0;
        if (rendersWithoutShardGroups(this.options.server ?? "2.7")) {
            return infinite ? [] : [{ type: "expire", everySeconds: b.retentionSeconds }];
        }
        if (b.retentionSeconds === 0 && b.shardGroupDurationSeconds === 0) {
            return [];
        }
        return [
            {
                type: "expire",
                everySeconds: b.retentionSeconds,
                shardGroupDurationSeconds: b.shardGroupDurationSeconds,
            },
        ];
    }

    bucket(b: BucketState): Json {
        return {
            id: b.id,
            orgID: b.orgID,
            type: b.type,
            ...(b.description ? { description: b.description } : {}),
            name: b.name,
            retentionRules: this.retentionRules(b),
            createdAt: goTime(b.createdAt),
            updatedAt: goTime(b.updatedAt),
            links: {
                self: `/api/v2/buckets/${b.id}`,
                org: `/api/v2/orgs/${b.orgID}`,
                members: `/api/v2/buckets/${b.id}/members`,
                owners: `/api/v2/buckets/${b.id}/owners`,
                labels: `/api/v2/buckets/${b.id}/labels`,
                write: `/api/v2/write?org=${b.orgID}&bucket=${b.id}`,
            },
            labels: [],
        };
    }

    task(t: TaskState): Json {
        const self = `/api/v2/tasks/${t.id}`;
        const offset = t.offsetSeconds !== undefined ? formatOffset(t.offsetSeconds) : "";
        return {
            id: t.id,
            orgID: t.orgID,
            org: this.state.data.orgs.get(t.orgID)?.name ?? "",
            ownerID: t.ownerID,
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            status: t.status,
            flux: t.flux,
            ...(t.every ? { every: t.every } : {}),
            ...(t.cron ? { cron: t.cron } : {}),
            ...(offset ? { offset } : {}),
            latestCompleted: goTime(t.latestCompleted),
            ...(t.lastRunStatus ? { lastRunStatus: t.lastRunStatus } : {}),
            ...(t.lastRunError ? { lastRunError: t.lastRunError } : {}),
            createdAt: goTime(t.createdAt),
            updatedAt: goTime(t.updatedAt),
            labels: [],
            links: {
                self,
                owners: `${self}/owners`,
                members: `${self}/members`,
                labels: `${self}/labels`,
                runs: `${self}/runs`,
                logs: `${self}/logs`,
            },
        };
    }

    run(r: RunState): Json {
        const self = `/api/v2/tasks/${r.taskID}/runs/${r.id}`;
        return {
            id: r.id,
            taskID: r.taskID,
            status: r.status,
            scheduledFor: goTime(r.scheduledFor),
            log: r.log.map((e) => this.logEvent(e)),
            ...(r.startedAt ? { startedAt: goTime(r.startedAt) } : {}),
            ...(r.finishedAt ? { finishedAt: goTime(r.finishedAt) } : {}),
            ...(r.requestedAt ? { requestedAt: goTime(r.requestedAt) } : {}),
            links: { self, task: `/api/v2/tasks/${r.taskID}`, retry: `${self}/retry` },
        };
    }

    logEvent(e: RunState["log"][number]): Json {
        return { runID: e.runID, time: goTime(e.time), message: e.message };
    }

    private permission(p: Permission): Json {
        const r = p.resource;
        const orgName = r.orgID !== undefined ? this.state.data.orgs.get(r.orgID)?.name : undefined;
        const name = r.id !== undefined ? this.resourceName(r.type, r.id) : undefined;
        const resource: Json = { type: r.type };
        for (const [key, value] of Object.entries({
            id: r.id,
            orgID: r.orgID,
            name: name ?? r.name,
            org: orgName ?? r.org,
        })) {
            if (value !== undefined) {
                resource[key] = value;
            }
        }
        return { action: p.action, resource };
    }

    private resourceName(type: string, id: string): string | undefined {
        const sources: Record<string, Map<string, { name: string }>> = {
            buckets: this.state.data.buckets,
            orgs: this.state.data.orgs,
            tasks: this.state.data.tasks,
            users: this.state.data.users,
        };
        return sources[type]?.get(id)?.name;
    }

    /** Tokens are only shown when created: listings and reads leave `token` out. */
    authorization(a: AuthorizationState, showToken: boolean): Json {
        return {
            id: a.id,
            ...(showToken ? { token: a.token } : {}),
            status: a.status,
            description: a.description,
            orgID: a.orgID,
            org: this.state.data.orgs.get(a.orgID)?.name ?? "",
            userID: a.userID,
            user: this.state.data.users.get(a.userID)?.name ?? "",
            permissions: a.permissions.map((p) => this.permission(p)),
            links: { self: `/api/v2/authorizations/${a.id}`, user: `/api/v2/users/${a.userID}` },
            createdAt: goTime(a.createdAt),
            updatedAt: goTime(a.updatedAt),
        };
    }
}
