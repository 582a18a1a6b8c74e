import { isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { MIN_RETENTION_SECONDS } from "../dynamic-providers/influx-rules";
import type { KubernetesAccess } from "../dynamic-providers/kubernetes-forward";
import { settingError } from "./errors";

/**
 * What every InfluxDB implementation (Docker, Kubernetes, external) yields to the rest of the program.
 */
export interface InfluxConnection {
    /** URL Flagsmith uses inside its network or cluster, with the port, e.g. `http://influxdb:8086`. */
    readonly internalUrl: pulumi.Output<string>;
    /** URL the dynamic providers use from the machine running `pulumi up`, e.g. `http://localhost:8086`. */
    readonly managementUrl: pulumi.Output<string>;
    /**
     * An in-cluster server the providers reach through a port-forward of their own (Kubernetes without
     * `managementUrl`); `managementUrl` is then its in-cluster address. Undefined: `managementUrl` is reached directly.
     */
    readonly kubernetesAccess?: pulumi.Output<KubernetesAccess>;
    /** Organization name. */
    readonly org: pulumi.Output<string>;
    /** Organization ID, resolved through the API. */
    readonly orgId: pulumi.Output<string>;
    /** Operator (all-access) token. Always a secret. */
    readonly adminToken: pulumi.Output<string>;
    /** The bucket created at first boot (or named by the external settings). */
    readonly initialBucket: pulumi.Output<string>;
    /**
     * The resource whose deletion takes the server, and so everything inside InfluxDB, away (Docker: the data volume,
     * since deleting the container alone keeps the data; Kubernetes: the Helm release, whose uninstall removes the
     * server; its PVC is kept by the chart and goes with the stack's namespace); resources living in the server are
     * `deletedWith` it. Undefined for an external server, whose contents Pulumi must delete itself.
     */
    readonly server?: pulumi.Resource;
    /** Resources that must exist (and be ready) before anything talks to the server's API. */
    readonly readiness: pulumi.Resource[];
}

/**
 * Environment variables of Flagsmith that the program sets (the four INFLUXDB_* ones, the database, the secret key,
 * the task processor mode) or must never set: `USE_POSTGRES_FOR_ANALYTICS` would win over InfluxDB.
 */
export const FLAGSMITH_MANAGED_ENV: readonly string[] = [
    "INFLUXDB_URL",
    "INFLUXDB_TOKEN",
    "INFLUXDB_ORG",
    "INFLUXDB_BUCKET",
    "DATABASE_URL",
    "DJANGO_SECRET_KEY",
    "TASK_RUN_METHOD",
    "USE_POSTGRES_FOR_ANALYTICS",
];

/** The four variables Flagsmith's API and task processor read to use InfluxDB for analytics. */
export interface FlagsmithInfluxEnv {
    /** Internal URL of InfluxDB, with the port. */
    readonly INFLUXDB_URL: pulumi.Output<string>;
    /** Least-privilege token for Flagsmith. Always a secret. */
    readonly INFLUXDB_TOKEN: pulumi.Output<string>;
    /** Organization name. */
    readonly INFLUXDB_ORG: pulumi.Output<string>;
    /** Raw bucket; Flagsmith derives `<bucket>_downsampled_15m` and `<bucket>_downsampled_1h` from it. */
    readonly INFLUXDB_BUCKET: pulumi.Output<string>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Validation shared by the InfluxDB implementations (influxdb-docker.ts, influxdb-kubernetes.ts, influxdb-external.ts)
// and by parseInfluxSettings (influxdb.ts). Pure functions; each error names the setting and how to fix it.

/** Default pinned InfluxDB image tag. InfluxDB 2.x: `latest` is InfluxDB 3, which has no v2 setup/orgs/tasks API. */
export const DEFAULT_INFLUXDB_TAG = "2.7.12";

export { MIN_RETENTION_SECONDS };

/** Throw unless `tag` is an InfluxDB 2.x image tag (`2`, `2.7`, `2.7.12`, `2.7.12-alpine`). */
export function checkInflux2Tag(tag: string, setting: string): void {
    if (!/^2(\.\d+){0,2}([-_.][\w.-]+)?$/.test(tag)) {
        const why =
            tag === "latest" || tag === ""
                ? `"${tag || "(no tag)"}" is InfluxDB 3, not 2.x`
                : `"${tag}" is not an InfluxDB 2.x tag`;
        throw settingError(
            `${setting}: image tag ${why}; this program needs InfluxDB 2.x (organizations, buckets, tasks, v2 setup). ` +
                `Pin a 2.x tag, e.g. ${DEFAULT_INFLUXDB_TAG}.`,
        );
    }
}

/** Throw unless `image` (`repo[:tag][@digest]`) carries an InfluxDB 2.x tag; return the tag. */
export function checkInflux2Image(image: string, setting: string): string {
    const withoutDigest = image.split("@")[0];
    const slash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    const tag = colon > slash ? withoutDigest.substring(colon + 1) : "";
    if (tag === "") {
        throw settingError(
            `${setting}: image "${image}" has no tag, which means latest = InfluxDB 3; ` +
                `pin an InfluxDB 2.x tag, e.g. influxdb:${DEFAULT_INFLUXDB_TAG}.`,
        );
    }
    checkInflux2Tag(tag, `${setting} ("${image}")`);
    return tag;
}

const DURATION_UNITS: Record<string, number> = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400,
    w: 604800,
};

/**
 * Parse an InfluxDB duration (`30d`, `1w`, `72h`, `1h30m`; `0`, `0s` or `infinite` for infinite retention) to seconds
 * (0 = infinite). Throws unless it is infinite or at least 1h.
 */
export function parseRetention(value: string, setting: string): number {
    const v = value.trim();
    if (v === "0" || v === "infinite") {
        return 0;
    }
    const parts = [...v.matchAll(/(\d+)(ns|us|µs|ms|s|m|h|d|w)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== v) {
        throw settingError(
            `${setting}: "${value}" is not a duration; use e.g. 30d, 1w, 72h or 1h30m (units ns, us, ms, s, m, h, ` +
                `d, w), or 0s for infinite retention.`,
        );
    }
    const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
    if (seconds !== 0 && seconds < MIN_RETENTION_SECONDS) {
        throw settingError(
            `${setting}: retention "${value}" is below InfluxDB's minimum of 1h; use 1h or more, or 0s.`,
        );
    }
    return seconds;
}

/** Throw unless `port` is an integer in 1..65535. */
export function checkPort(port: number, setting: string): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw settingError(`${setting}: port must be an integer between 1 and 65535, got ${JSON.stringify(port)}.`);
    }
}

/** Throw unless `address` is an IPv4 or IPv6 address a Docker port can be published on (`127.0.0.1`, `0.0.0.0`). */
export function checkBindAddress(address: string, setting: string): void {
    if (isIP(address) === 0) {
        throw settingError(
            `${setting}: "${address}" is not an IP address; use 127.0.0.1 (this machine only), 0.0.0.0 (every ` +
                `interface) or the address of one interface.`,
        );
    }
}

/**
 * The problem with a boolean setting (`key` as the user writes it, e.g. `flagsmith.enabled`), or undefined when it is
 * a boolean or unset. A quoted `"false"` in the stack file is a string: one message says to write it unquoted.
 */
export function booleanSettingProblem(value: unknown, key: string): string | undefined {
    if (value === undefined || typeof value === "boolean") {
        return undefined;
    }
    if (value === "true" || value === "false") {
        return (
            `${key}: ${JSON.stringify(value)} is a quoted string, not a boolean; write it unquoted in ` +
            `Pulumi.<stack>.yaml, or run: pulumi config set --path ${shellWord(key)} ${value}`
        );
    }
    return `${key}: must be true or false, got ${JSON.stringify(value)}. Fix: pulumi config set --path ${shellWord(key)} true`;
}

/** `word` quoted for a POSIX shell when it holds more than letters, digits and `_.-`. */
export function shellWord(word: string): string {
    return /^[\w.-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Throw unless `value` is a non-blank string. */
export function checkNonEmpty(value: unknown, setting: string, what: string): void {
    if (typeof value !== "string" || value.trim() === "") {
        throw settingError(`${setting}: ${what} must be a non-empty string, got ${JSON.stringify(value)}.`);
    }
}

/** Throw unless `url` is an absolute http(s) URL. */
export function checkHttpUrl(url: string, setting: string): void {
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        throw settingError(`${setting}: "${url}" is not an http(s) URL; use e.g. http://influxdb.example.com:8086.`);
    }
}

/**
 * Validate an Input: synchronously when it is a plain value (so a bad argument fails at construction), inside an
 * `apply` when it is an Output (the error then fails the resources that use the returned Input).
 */
export function validated<T>(value: pulumi.Input<T>, check: (v: T) => void): pulumi.Input<T> {
    if (pulumi.Output.isInstance(value)) {
        return value.apply((v) => {
            check(v as T);
            return v;
        }) as pulumi.Input<T>;
    }
    if (!(value instanceof Promise)) {
        check(value as T);
        return value;
    }
    return pulumi.output(value).apply((v) => {
        check(v as T);
        return v;
    }) as pulumi.Input<T>;
}

/**
 * A physical name scoped to the stack (`<base>-<stack>`), so several stacks share one Docker host or cluster.
 * Lower-cased and limited to `[a-z0-9-]` and `max` characters when `dns` is set (Kubernetes names).
 */
export function stackScopedName(base: string, options: { dns?: boolean; max?: number } = {}): string {
    let name = `${base}-${pulumi.getStack()}`;
    if (options.dns) {
        name = name
            .toLowerCase()
            .replace(/[^a-z0-9-]+/g, "-")
            .replace(/^-+|-+$/g, "");
    }
    return options.max ? name.substring(0, options.max).replace(/-+$/, "") : name;
}

/**
 * Why a name cannot go into a Helm chart's environment as written, or undefined. The influxdb2 chart (2.1.2,
 * templates/statefulset.yaml) and the Flagsmith chart (0.81.0, templates/_helpers.tpl) write the organization,
 * bucket and user unquoted (`value: {{ ... }}`), and Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): a
 * name such as `2024`, `yes`, `null` or `a: b` becomes a number, a boolean, null or a map, and the install fails.
 */
export function yamlTextProblem(value: string): string | undefined {
    let read: unknown;
    let invalid = false;
    try {
        read = (YAML.parse(`value: ${value}`, { version: "1.1" }) as { value?: unknown } | null)?.value;
    } catch {
        invalid = true;
    }
    if (!invalid && read === value) return undefined;
    const as = invalid
        ? "invalid YAML"
        : read === null
          ? "null"
          : Array.isArray(read)
            ? "a list"
            : typeof read === "object"
              ? "a map"
              : `a ${typeof read}`;
    return (
        `${JSON.stringify(value)} reaches the Helm chart's environment unquoted and Kubernetes would read it as ${as}, ` +
        "failing the install: choose a name YAML reads as text (letters first, no ': ' or ' #')"
    );
}
