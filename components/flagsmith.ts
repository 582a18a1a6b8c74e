// Flagsmith on the platform the stack settings name, wired to the analytics set: the one place that chooses between
// the Docker and the Kubernetes component.
import * as pulumi from "@pulumi/pulumi";
import type { InfluxAnalytics } from "./analytics";
import { DockerFlagsmith } from "./flagsmith-docker";
import { KubernetesFlagsmith } from "./flagsmith-kubernetes";
import type { InfluxDB } from "./influxdb";
import { DockerInfluxDB } from "./influxdb-docker";
import type { FlagsmithSettings } from "./settings/stack";

/** How a person reaches Flagsmith once `pulumi up` is done (the stack outputs of that name). */
export interface FlagsmithAccess {
    /** What to open in a browser (Docker: the API with its bundled frontend; Kubernetes: the dashboard). */
    readonly flagsmithUrl?: pulumi.Output<string>;
    /** Kubernetes without a frontend ingress: the port-forward that makes flagsmithUrl work. */
    readonly flagsmithPortForward?: pulumi.Output<string | undefined>;
    /** Kubernetes: the API as Flagsmith's pods reach it (not reachable from outside the cluster). */
    readonly flagsmithApiInternalUrl?: pulumi.Output<string>;
    /** The command that creates the first Flagsmith user (a Django superuser). */
    readonly flagsmithFirstUser?: pulumi.Output<string>;
}

/**
 * Deploys Flagsmith as `settings` say, after the analytics set, with its four INFLUXDB_* variables (`platform:
 * "none"`, which `flagsmith.enabled: false` gives: nothing, the stack exports the variables). On Docker it joins
 * InfluxDB's network when InfluxDB runs on Docker, else a network of its own. Returns how to reach it.
 */
export function createFlagsmith(
    settings: FlagsmithSettings,
    influx: InfluxDB,
    analytics: InfluxAnalytics,
    name = "flagsmith",
): FlagsmithAccess {
    if (settings.platform === "docker") {
        const docker = new DockerFlagsmith(
            name,
            {
                influxEnv: analytics.env,
                network: influx instanceof DockerInfluxDB ? influx.networkName : undefined,
                image: settings.image,
                apiPort: settings.apiPort,
                bindAddress: settings.bindAddress,
                allowedHosts: settings.allowedHosts,
                extraEnv: settings.extraEnv,
                protectData: settings.protectData,
            },
            { dependsOn: [analytics] },
        );
        return { flagsmithUrl: docker.apiUrl, flagsmithFirstUser: docker.createSuperuserCommand };
    }
    if (settings.platform === "kubernetes") {
        const k8s = new KubernetesFlagsmith(
            name,
            {
                influxEnv: analytics.env,
                namespace: settings.namespace,
                databaseExternal: settings.database,
                extraValues: settings.extraValues,
            },
            { dependsOn: [analytics] },
        );
        return {
            flagsmithUrl: k8s.dashboardUrl,
            flagsmithPortForward: k8s.dashboardPortForward,
            flagsmithApiInternalUrl: k8s.apiUrl,
            flagsmithFirstUser: k8s.createSuperuserCommand,
        };
    }
    return {};
}
