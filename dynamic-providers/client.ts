// One HTTP client for every provider: @influxdata/influxdb-client-apis behind readiness, retry and error mapping.
import { InfluxDB, LineSplitter } from "@influxdata/influxdb-client";
import { AuthorizationsAPI, BucketsAPI, OrgsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { influxApiError, mapError, redact, statusOf } from "./errors";
import { forwardedUrl, KubernetesAccess } from "./kubernetes-forward";
import { forgetListings, sharedListing } from "./listings";
import { DEFAULT_RETRY_POLICY, REAL_DEPS, RetryPolicy, withRetry } from "./retry";

/** Connection details as the providers receive them (already unwrapped from secrets by the engine). */
export interface Connection {
    /** Base URL of the API, e.g. `http://localhost:8086`. */
    readonly url: string;
    /** API token. */
    readonly token: string;
    /** How long the first call may wait for the server to come up (refused, 503), in seconds. Default 120. */
    readonly readyTimeoutSeconds?: number;
    /** Time budget of one operation including retries, in seconds. Default 120. */
    readonly operationTimeoutSeconds?: number;
    /** Timeout of a single HTTP request, in seconds. Default 30. Creates wait up to the operation's budget. */
    readonly requestTimeoutSeconds?: number;
    /**
     * An in-cluster InfluxDB reached through a port-forward opened by the provider itself (kubernetes-forward.ts);
     * `url` then names the in-cluster address. Absent: `url` is reached directly.
     */
    readonly kubernetes?: KubernetesAccess;
}

/** The typed API clients for one connection. */
export interface Apis {
    readonly buckets: BucketsAPI;
    readonly tasks: TasksAPI;
    readonly authorizations: AuthorizationsAPI;
    readonly orgs: OrgsAPI;
    /**
     * Runs a Flux script for its side effects (`to()`) in the organization and discards its results; rejects with the
     * Flux runtime error when the script fails. See runForEffects.
     */
    readonly runForEffects: (orgId: string, flux: string) => Promise<void>;
    /** Runs a Flux query in the organization and returns its rows (CSV without annotations, one record per row). */
    readonly queryRows: (orgId: string, flux: string) => Promise<Record<string, string>[]>;
}

function policyFor(conn: Connection, seconds: number | undefined): RetryPolicy {
    return { ...DEFAULT_RETRY_POLICY, deadlineMs: (seconds ?? DEFAULT_RETRY_POLICY.deadlineMs / 1000) * 1000 };
}

/** The base URL requests go to: `url`, or the local end of the port-forward for an in-cluster server. */
async function baseUrl(conn: Connection, operation: string): Promise<string> {
    if (!conn.kubernetes) return conn.url;
    try {
        return await forwardedUrl(conn.kubernetes);
    } catch (e) {
        throw influxApiError(
            redact(
                `${operation} failed: cannot open a port-forward to InfluxDB in namespace ${conn.kubernetes.namespace} ` +
                    `through the Kubernetes API (kubeconfig ${conn.kubernetes.kubeconfig ? "from kubernetes:kubeconfig" : "from $KUBECONFIG or ~/.kube/config"}` +
                    `${conn.kubernetes.context ? `, context ${conn.kubernetes.context}` : ""}): ${(e as Error).message}. ` +
                    "Fix the kubeconfig, or set influxdb.managementUrl to an address Pulumi reaches directly",
                [conn.token],
            ),
        );
    }
}

function apisFor(conn: Connection, timeoutMs = (conn.requestTimeoutSeconds ?? 30) * 1000): Apis {
    const influx = new InfluxDB({ url: conn.url, token: conn.token, timeout: timeoutMs });
    return {
        buckets: new BucketsAPI(influx),
        tasks: new TasksAPI(influx),
        authorizations: new AuthorizationsAPI(influx),
        orgs: new OrgsAPI(influx),
        queryRows: async (orgId, flux) =>
            csvRows(
                (await influx.transport.request(
                    `/api/v2/query?orgID=${encodeURIComponent(orgId)}`,
                    { query: flux, type: "flux", dialect: { annotations: [] } },
                    { method: "POST", headers: { "content-type": "application/json", accept: "text/csv" } },
                )) as string,
            ),
        runForEffects: async (orgId, flux) => {
            // The whole run may take longer than one request's timeout: it gets the operation's budget.
            const long = new InfluxDB({ url: conn.url, token: conn.token, timeout: operationMs(conn) });
            const body = (await long.transport.request(
                `/api/v2/query?orgID=${encodeURIComponent(orgId)}`,
                { query: flux, type: "flux" },
                {
                    method: "POST",
                    headers: { "content-type": "application/json", prefer: "return-no-content-with-error" },
                },
            )) as unknown;
            const failure = fluxRuntimeError(typeof body === "string" ? body : "");
            if (failure !== undefined) {
                // Not retried (the status is the server's 200): the same script would fail the same way.
                throw Object.assign(new Error(failure), {
                    statusCode: 200,
                    json: { code: "flux runtime error", message: failure },
                });
            }
        },
    };
}

function operationMs(conn: Connection): number {
    return (conn.operationTimeoutSeconds ?? DEFAULT_RETRY_POLICY.deadlineMs / 1000) * 1000;
}

/**
 * The rows of a Flux CSV answer without annotations: each table starts with a header row and ends with an empty line
 * (RFC 4180 quoting). A record per row, keyed by column name; the leading result/table columns are kept.
 */
export function csvRows(csv: string): Record<string, string>[] {
    // The client library's own splitter (quotes, doubled quotes, empty cells), as its query API uses it.
    const splitter = new LineSplitter();
    const rows: Record<string, string>[] = [];
    let header: string[] | undefined;
    for (const line of csv.split(/\r?\n/)) {
        if (line.trim() === "") {
            header = undefined;
            continue;
        }
        const cells = splitter.splitLine(line);
        if (!header) {
            header = cells;
            continue;
        }
        rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
    }
    return rows;
}

/**
 * The error of a Flux query that failed after the server answered 200. With `Prefer: return-no-content-with-error`
 * InfluxDB 2.7 sends no results, only a CSV error table (`,error,reference` then `,<message>,<code>`) when the script
 * fails at run time (http/query.go `PreferNoContentWithError`, query/encode.go `NoContentWithErrorEncoder`). An empty
 * body is success. Returns the message, or undefined.
 */
export function fluxRuntimeError(csv: string): string | undefined {
    const withoutAnnotations = csv
        .split(/\r?\n/)
        .filter((l) => !l.startsWith("#"))
        .join("\n");
    const [row] = csvRows(withoutAnnotations);
    if (row === undefined || !("error" in row)) {
        return undefined;
    }
    return row.error || "the query failed";
}

/**
 * URLs that answered in this plugin process. Until a URL has answered, its calls may wait for the server to come up
 * (`readyTimeoutSeconds`, polling at most every second) instead of a separate health check: a request that reaches
 * no server is refused before anything is applied, so retrying the real call costs no extra round trip.
 */
const answered: string[] = [];

/**
 * Runs one API operation that may change the server (a create or an update): waits for readiness, retries transient failures, maps errors (naming
 * `operation`), and drops the server's shared listings before and after (a listing that overlapped the write may
 * miss it). `recover`, when given, runs before retrying a failure the server may have applied (a lost create answer)
 * and may return the already-created resource so that no duplicate is made.
 */
export async function writeApi<T>(
    conn: Connection,
    operation: string,
    fn: (apis: Apis) => Promise<T>,
    recover?: (apis: Apis) => Promise<T | undefined>,
): Promise<T> {
    forgetListings(conn.url);
    try {
        return await run(conn, operation, fn, recover);
    } finally {
        forgetListings(conn.url);
    }
}

async function run<T>(
    conn: Connection,
    operation: string,
    fn: (apis: Apis) => Promise<T>,
    recover?: (apis: Apis) => Promise<T | undefined>,
): Promise<T> {
    const direct = { ...conn, url: await baseUrl(conn, operation) };
    const apis = apisFor(direct);
    const operationSeconds = conn.operationTimeoutSeconds ?? DEFAULT_RETRY_POLICY.deadlineMs / 1000;
    // The first call to a server that has not answered yet may wait for it to come up (e.g. first-boot setup).
    const seconds = answered.includes(conn.url)
        ? operationSeconds
        : Math.max(operationSeconds, conn.readyTimeoutSeconds ?? DEFAULT_RETRY_POLICY.deadlineMs / 1000);
    const policy = policyFor(conn, seconds);
    const started = Date.now();
    // A create (`recover` given) is not idempotent: a server may still apply a request the client gave up on, after
    // the retry made another (a duplicate task, an orphan token). So a slow create is waited for, up to the rest of
    // the operation's budget, rather than abandoned after requestTimeoutSeconds.
    const attemptApis = () =>
        recover ? apisFor(direct, Math.max(1000, policy.deadlineMs - (Date.now() - started))) : apis;
    const attempt = async () => {
        try {
            return await fn(attemptApis());
        } catch (e) {
            const status = statusOf(e);
            if (status !== undefined && status !== 503) markAnswered(conn.url);
            throw e;
        }
    };
    try {
        const result = await withRetry(
            attempt,
            policy,
            REAL_DEPS,
            recover ? () => withRetry(() => recover(apis), policyFor(conn, 60)) : undefined,
        );
        markAnswered(conn.url);
        return result;
    } catch (e) {
        throw mapError(e, operation, conn.url, [conn.token]);
    }
}

function markAnswered(url: string): void {
    if (!answered.includes(url)) answered.push(url);
}

/** True when the error is a 404 from the server (also through a mapped error). */
export function isNotFound(error: unknown): boolean {
    return statusOf(error) === 404 || (error as { status?: number } | undefined)?.status === 404;
}

/**
 * True for a 404 that hides a refusal: InfluxDB 2.7 answers a task read the token may not make with 404 "failed to
 * find task: unauthorized" (http/task_service.go `handleGetTask` wraps every lookup error, the authorizer's too, in the
 * not-found of the lookup), which must never be taken as "the task is gone".
 */
export function isRefusalAsNotFound(error: unknown): boolean {
    return isNotFound(error) && /unauthorized|token is inactive/i.test((error as { message?: string }).message ?? "");
}

/** `undefined` instead of a 404 (but not a 404 that hides a refusal). */
async function orNotFound<T>(call: Promise<T>): Promise<T | undefined> {
    try {
        return await call;
    } catch (e) {
        if (isNotFound(e) && !isRefusalAsNotFound(e)) {
            return undefined;
        }
        throw e;
    }
}

/** A delete, through writeApi: a 404 (already gone) is success and answers `undefined`. */
export function deleteApi<T>(
    conn: Connection,
    operation: string,
    fn: (apis: Apis) => Promise<T>,
): Promise<T | undefined> {
    return orNotFound(writeApi(conn, operation, fn));
}

/** A call that only reads (shared listings stay): readiness, retries and errors as writeApi; 404 answers `undefined`. */
export function readApi<T>(
    conn: Connection,
    operation: string,
    fn: (apis: Apis) => Promise<T>,
): Promise<T | undefined> {
    return orNotFound(run(conn, operation, fn));
}

/** What can be listed per organization. */
export type ListedKind = "buckets" | "tasks" | "authorizations";

/** Every item of `kind` in the organization, following the pagination (buckets by 100, tasks by 500). */
async function listAll(apis: Apis, kind: ListedKind, orgID: string): Promise<{ id?: string }[]> {
    if (kind === "authorizations") {
        return (await apis.authorizations.getAuthorizations({ orgID })).authorizations ?? [];
    }
    const items: { id?: string }[] = [];
    for (;;) {
        // Buckets page by offset (the server sorts them by name), tasks by the ID cursor (they have no offset).
        const page =
            kind === "buckets"
                ? ((await apis.buckets.getBuckets({ orgID, limit: 100, offset: items.length })).buckets ?? [])
                : ((await apis.tasks.getTasks({ orgID, limit: 500, after: items.at(-1)?.id })).tasks ?? []);
        items.push(...page);
        if (page.length < (kind === "buckets" ? 100 : 500)) {
            return items;
        }
    }
}

/**
 * Reads one resource through the shared listing of its kind and organization; `undefined` when it is gone (or the
 * organization is). Without an organization ID (e.g. `pulumi import`), `single` reads it alone.
 */
export async function readListed<T>(
    conn: Connection,
    kind: ListedKind,
    orgId: string | undefined,
    id: string,
    operation: string,
    single: (apis: Apis) => Promise<T>,
): Promise<T | undefined> {
    if (!orgId) {
        return readApi(conn, operation, single);
    }
    const listing = sharedListing({ url: conn.url, token: conn.token, kind, orgId }, () =>
        readApi(conn, `${operation} (listing ${kind})`, (a) => listAll(a, kind, orgId)),
    );
    const listed = (await listing).get(id) as T | undefined;
    if (listed !== undefined) {
        return listed;
    }
    // Absence from a listing is no proof: a listing leaves out what the token may not read, and an inactive token
    // lists nothing with 200 (influxdata/influxdb v2.7.12, auth.go `PermissionSet` "token is inactive", filtered out by
    // authorizer's AuthorizeFind*). Only the single read's 404 says the resource is gone; its 401 fails the read.
    return readApi(conn, operation, single);
}
