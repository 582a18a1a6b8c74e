import * as pulumi from "@pulumi/pulumi";

/**
 * What every InfluxDB implementation (Docker, Kubernetes, external) yields to the rest of the program.
 */
export interface InfluxConnection {
    /** URL Flagsmith uses inside its network or cluster, with the port, e.g. `http://influxdb:8086`. */
    readonly internalUrl: pulumi.Output<string>;
    /** URL the dynamic providers use from the machine running `pulumi up`, e.g. `http://localhost:8086`. */
    readonly managementUrl: pulumi.Output<string>;
    /** Organization name. */
    readonly org: pulumi.Output<string>;
    /** Organization ID, resolved through the API. */
    readonly orgId: pulumi.Output<string>;
    /** Operator (all-access) token. Always a secret. */
    readonly adminToken: pulumi.Output<string>;
    /** The bucket created at first boot (or named by the external settings). */
    readonly initialBucket: pulumi.Output<string>;
    /**
     * The resource whose deletion deletes everything inside InfluxDB (container, Helm release); resources living in
     * the server are `deletedWith` it. Undefined for an external server, whose contents Pulumi must delete itself.
     */
    readonly server?: pulumi.Resource;
    /** Resources that must exist (and be ready) before anything talks to the server's API. */
    readonly readiness: pulumi.Resource[];
}
