import * as pulumi from "@pulumi/pulumi";
import type { KubernetesAccess } from "../dynamic-providers/kubernetes-forward";

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
