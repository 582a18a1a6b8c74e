import * as pulumi from "@pulumi/pulumi";
import type { KubernetesAccess } from "./kubernetes-forward";

/** How a dynamic resource reaches the InfluxDB API. */
export interface ConnectionArgs {
    /** Base URL of the API as seen from the machine running Pulumi, e.g. `http://localhost:8086`. http(s) only. */
    readonly url: pulumi.Input<string>;
    /** API token. Always stored as a secret. */
    readonly token: pulumi.Input<string>;
    /** How long to wait for `/health` to pass before the first call, in seconds. Default 120. */
    readonly readyTimeoutSeconds?: pulumi.Input<number>;
    /** Time budget of one operation including retries, in seconds. Default 120. */
    readonly operationTimeoutSeconds?: pulumi.Input<number>;
    /** Timeout of a single HTTP request, in seconds. Default 30. Creates wait up to the operation's budget. */
    readonly requestTimeoutSeconds?: pulumi.Input<number>;
    /** An in-cluster InfluxDB the provider reaches through a port-forward of its own. Default none: `url` directly. */
    readonly kubernetes?: pulumi.Input<KubernetesAccess>;
}

/** The connection as a secret input, so the token never lands in state or previews in plain text. */
export function secretConnection(connection: pulumi.Input<ConnectionArgs>): pulumi.Output<ConnectionArgs> {
    return pulumi.secret(pulumi.output(connection) as pulumi.Output<ConnectionArgs>);
}
