// The suite's own view of the real server: plain HTTP calls to influxd's v2 API, independent of the providers' client,
// so assertions rest on what the server holds, never on what the program believes it did.
export interface ServerBucket {
    id: string;
    name: string;
    orgID: string;
    retentionRules: { type: string; everySeconds: number; shardGroupDurationSeconds?: number }[];
}
export interface ServerTask {
    id: string;
    name: string;
    orgID: string;
    status: "active" | "inactive";
    flux: string;
    every?: string;
    offset?: string;
    lastRunStatus?: string;
    lastRunError?: string;
}
export interface ServerPermission {
    action: "read" | "write";
    resource: { type: string; id?: string; orgID?: string; name?: string };
}
export interface ServerAuthorization {
    id: string;
    token: string;
    status: "active" | "inactive";
    description?: string;
    orgID: string;
    permissions: ServerPermission[];
}

export class ServerError extends Error {
    constructor(
        readonly status: number,
        readonly body: string,
        what: string,
    ) {
        super(`${what}: HTTP ${status} ${body}`);
    }
}

/** One organization of one server, seen with one token. */
export class Server {
    constructor(
        readonly url: string,
        readonly token: string,
        readonly orgId: string,
    ) {}

    /** The same server and organization seen with another token. */
    as(token: string): Server {
        return new Server(this.url, token, this.orgId);
    }

    async request(
        method: string,
        path: string,
        body?: unknown,
        headers: Record<string, string> = {},
    ): Promise<Response> {
        return await fetch(`${this.url}${path}`, {
            method,
            headers: {
                authorization: `Token ${this.token}`,
                ...(body === undefined || typeof body === "string" ? {} : { "content-type": "application/json" }),
                ...headers,
            },
            body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        });
    }

    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
        const res = await this.request(method, path, body);
        const text = await res.text();
        if (!res.ok) throw new ServerError(res.status, text, `${method} ${path}`);
        return (text ? JSON.parse(text) : {}) as T;
    }

    async buckets(): Promise<ServerBucket[]> {
        const r = await this.json<{ buckets: ServerBucket[] }>("GET", `/api/v2/buckets?orgID=${this.orgId}&limit=100`);
        return r.buckets;
    }

    async bucket(name: string): Promise<ServerBucket | undefined> {
        return (await this.buckets()).find((b) => b.name === name);
    }

    async tasks(): Promise<ServerTask[]> {
        const r = await this.json<{ tasks: ServerTask[] }>("GET", `/api/v2/tasks?orgID=${this.orgId}&limit=500`);
        return r.tasks;
    }

    async authorizations(): Promise<ServerAuthorization[]> {
        const r = await this.json<{ authorizations: ServerAuthorization[] }>(
            "GET",
            `/api/v2/authorizations?orgID=${this.orgId}`,
        );
        return r.authorizations;
    }

    async createBucket(name: string, everySeconds = 0): Promise<ServerBucket> {
        return await this.json<ServerBucket>("POST", "/api/v2/buckets", {
            orgID: this.orgId,
            name,
            retentionRules: everySeconds ? [{ type: "expire", everySeconds }] : [],
        });
    }

    async createTask(flux: string): Promise<ServerTask> {
        return await this.json<ServerTask>("POST", "/api/v2/tasks", { orgID: this.orgId, flux, status: "active" });
    }

    async createAuthorization(permissions: ServerPermission[], description: string): Promise<ServerAuthorization> {
        return await this.json<ServerAuthorization>("POST", "/api/v2/authorizations", {
            orgID: this.orgId,
            description,
            permissions,
        });
    }

    async delete(path: string): Promise<void> {
        const res = await this.request("DELETE", path);
        if (!res.ok && res.status !== 404) throw new ServerError(res.status, await res.text(), `DELETE ${path}`);
    }

    /** Writes line protocol to `bucket` with second precision; resolves with the HTTP status. */
    async write(bucket: string, lines: string[]): Promise<number> {
        const res = await this.request(
            "POST",
            `/api/v2/write?orgID=${this.orgId}&bucket=${encodeURIComponent(bucket)}&precision=s`,
            lines.join("\n"),
            { "content-type": "text/plain; charset=utf-8" },
        );
        await res.text();
        return res.status;
    }

    /** Runs a Flux query; resolves with the rows of the annotated CSV answer (one object per row) or the status. */
    async query(flux: string): Promise<{ status: number; rows: Record<string, string>[]; error?: string }> {
        const res = await this.request("POST", `/api/v2/query?orgID=${this.orgId}`, JSON.stringify({ query: flux }), {
            "content-type": "application/json",
            accept: "application/csv",
        });
        const text = await res.text();
        if (!res.ok) return { status: res.status, rows: [], error: text };
        return { status: res.status, rows: parseCsv(text) };
    }

    /** Starts a run of a task now (`POST /api/v2/tasks/{id}/runs`) and waits until it has finished. */
    async runTask(taskId: string, timeoutMs = 60_000): Promise<{ status: string; log: string[] }> {
        const run = await this.json<{ id: string }>("POST", `/api/v2/tasks/${taskId}/runs`, {});
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            // A run that just finished may not be readable for a moment: it leaves the running set before InfluxDB
            // has written it to the _tasks bucket (404 "run not found" in between).
            const res = await this.request("GET", `/api/v2/tasks/${taskId}/runs/${run.id}`);
            const text = await res.text();
            if (res.status !== 404 && !res.ok) throw new ServerError(res.status, text, "GET run");
            const r = (res.status === 404 ? { status: "finishing" } : JSON.parse(text)) as { status: string };
            if (r.status === "success" || r.status === "failed" || r.status === "canceled") {
                const logs = await this.json<{ events: { message: string }[] }>(
                    "GET",
                    `/api/v2/tasks/${taskId}/runs/${run.id}/logs`,
                );
                return { status: r.status, log: logs.events.map((e) => e.message) };
            }
            if (Date.now() > deadline) throw new Error(`run ${run.id} of task ${taskId} still ${r.status}`);
            await new Promise((res) => setTimeout(res, 200));
        }
    }
}

/** Parses InfluxDB's annotated CSV (the `#`-annotation rows skipped, one header row per table). */
export function parseCsv(text: string): Record<string, string>[] {
    const rows: Record<string, string>[] = [];
    let header: string[] | undefined;
    for (const raw of text.split(/\r?\n/)) {
        if (raw === "") {
            header = undefined;
            continue;
        }
        if (raw.startsWith("#")) continue;
        const cells = raw.split(",");
        if (!header) {
            header = cells;
            continue;
        }
        const row: Record<string, string> = {};
        header.forEach((h, i) => {
            if (h) row[h] = cells[i];
        });
        rows.push(row);
    }
    return rows;
}
