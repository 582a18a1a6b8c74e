// Pure helpers shared by the providers' check and diff: unknowns, connection validation, field comparison.
import type { Connection } from "./client";
import { isInfluxId } from "./influx-rules";
import type { KubernetesAccess } from "./kubernetes-forward";

/** How the engine sends a value that is not known yet (previews). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A problem with one input, as returned by a provider's check. */
export interface CheckFailure {
    readonly property: string;
    readonly reason: string;
}

/** True when the value, or anything inside it, is unknown. */
export function isUnknown(value: unknown): boolean {
    if (value === UNKNOWN) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(isUnknown);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).some(isUnknown);
    }
    return false;
}

/** Drops undefined fields: the provider host cannot serialize them ("Unexpected struct type"). */
export function compact<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Validates `connection` ({url, token}); unknown parts are skipped. */
export function checkConnection(connection: unknown): CheckFailure[] {
    if (isUnknown(connection) && typeof connection !== "object") {
        return [];
    }
    if (connection === null || typeof connection !== "object") {
        return [{ property: "connection", reason: "connection must be an object { url, token }" }];
    }
    const c = connection as Partial<Record<keyof Connection, unknown>>;
    const failures: CheckFailure[] = [];
    if (!isUnknown(c.url)) {
        if (typeof c.url !== "string" || !isHttpUrl(c.url)) {
            failures.push({
                property: "connection.url",
                reason: `connection.url must be an http(s) URL such as http://localhost:8086; got ${JSON.stringify(c.url)}`,
            });
        }
    }
    if (!isUnknown(c.token) && (typeof c.token !== "string" || c.token.trim() === "")) {
        failures.push({
            property: "connection.token",
            reason: "connection.token is empty: pass the InfluxDB API token (as a Pulumi secret)",
        });
    }
    if (!isUnknown(c.kubernetes)) {
        for (const reason of kubernetesAccessProblems(c.kubernetes)) {
            failures.push({ property: "connection.kubernetes", reason });
        }
    }
    for (const key of ["readyTimeoutSeconds", "operationTimeoutSeconds", "requestTimeoutSeconds"] as const) {
        const v = c[key];
        if (v !== undefined && !isUnknown(v) && (typeof v !== "number" || !(v > 0))) {
            failures.push({
                property: `connection.${key}`,
                reason: `connection.${key} must be a positive number of seconds`,
            });
        }
    }
    return failures;
}

/** Whether `port` is a TCP port: an integer in 1..65535. */
export function isPort(port: unknown): boolean {
    return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Problems with a `connection.kubernetes` object, for check (pure). */
export function kubernetesAccessProblems(value: unknown): string[] {
    if (value === undefined) return [];
    if (value === null || typeof value !== "object") return ["connection.kubernetes must be an object"];
    const a = value as Partial<Record<keyof KubernetesAccess, unknown>>;
    const problems: string[] = [];
    for (const key of ["namespace", "podSelector"] as const) {
        if (typeof a[key] !== "string" || (a[key] as string).trim() === "") {
            problems.push(`connection.kubernetes.${key} must be a non-empty string`);
        }
    }
    if (!isPort(a.port)) {
        problems.push("connection.kubernetes.port must be a TCP port (1-65535)");
    }
    for (const key of ["kubeconfig", "context"] as const) {
        if (a[key] !== undefined && typeof a[key] !== "string") {
            problems.push(`connection.kubernetes.${key} must be a string`);
        }
    }
    return problems;
}

/** True for an absolute http:// or https:// URL with a host. */
export function isHttpUrl(value: string): boolean {
    try {
        const u = new URL(value);
        return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
        return false;
    }
}

/** Validates an InfluxDB ID input (16 hex characters); unknown is skipped. */
export function checkId(property: string, value: unknown): CheckFailure[] {
    if (isUnknown(value)) {
        return [];
    }
    if (typeof value !== "string" || !isInfluxId(value)) {
        return [
            {
                property,
                reason: `${property} must be an InfluxDB ID (16 hex characters); got ${JSON.stringify(value)}`,
            },
        ];
    }
    return [];
}

/** Validates an optional `active`/`inactive` status; unknown is skipped. */
export function checkStatus(value: unknown): CheckFailure[] {
    if (value === undefined || isUnknown(value) || value === "active" || value === "inactive") {
        return [];
    }
    return [{ property: "status", reason: `status must be "active" or "inactive"; got ${JSON.stringify(value)}` }];
}

/** Deep equality on plain JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(sortKeys);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        );
    }
    return v;
}

/** A field to compare in diff: how to read it from olds and news, and whether a change replaces the resource. */
export interface DiffRule<O, N> {
    readonly name: string;
    readonly old: (olds: O) => unknown;
    readonly new: (news: N) => unknown;
    readonly replaces?: boolean;
    /** Compare only when this holds (e.g. the user set the value, and the server keeps it). */
    readonly when?: (news: N, olds: O) => boolean;
}

/** Applies diff rules: an unknown new value counts as a change. `changes` is always set. */
export function diffByRules<O, N>(
    olds: O,
    news: N,
    rules: readonly DiffRule<O, N>[],
): { changes: boolean; replaces: string[]; stables: string[] } {
    const changed: string[] = [];
    const replaces: string[] = [];
    const stables: string[] = [];
    for (const rule of rules) {
        if (rule.when && !rule.when(news, olds)) {
            continue;
        }
        const n = rule.new(news);
        if (isUnknown(n) || !jsonEqual(rule.old(olds), n)) {
            changed.push(rule.name);
            if (rule.replaces) {
                replaces.push(rule.name);
            }
        } else if (rule.replaces) {
            stables.push(rule.name);
        }
    }
    return { changes: changed.length > 0, replaces, stables };
}

/** The connection fields that matter for a diff (timeouts do not change the resource). */
export function connectionKey(c: unknown): unknown {
    if (c === null || typeof c !== "object") {
        return c;
    }
    const { url, token, kubernetes } = c as Partial<Connection>;
    // The in-cluster target counts; how Pulumi gets there (kubeconfig, context) does not change the resource.
    return kubernetes
        ? { url, token, kubernetes: [kubernetes.namespace, kubernetes.podSelector, kubernetes.port] }
        : { url, token };
}

/**
 * How far the server's clock may be behind this machine's for a lost create to be recognised. A create whose answer
 * was lost is looked for among resources the server stamped `createdAt` since the call started; that stamp is the
 * server's clock, the start is this machine's, and a few minutes of skew between the two are common (a laptop against
 * a cluster). With this margin no duplicate task or orphan token is left behind; the other conditions (same name and
 * exact Flux, or this stack's token description and permissions) keep it from taking anything else.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 15 * 60_000;

/** Whether a resource the server stamped `createdAt` may have been created by a call started at `startedMs`. */
export function createdSince(createdAt: string | undefined, startedMs: number): boolean {
    return !createdAt || Date.parse(createdAt) >= startedMs - CLOCK_SKEW_TOLERANCE_MS;
}
