// Builds the InfluxDB implementation the stack settings choose (components/settings/influxdb.ts reads them): a Docker
// container, the influxdb2 Helm chart on Kubernetes, or an external server, each an InfluxConnection.
import * as pulumi from "@pulumi/pulumi";
import { InfluxConnection } from "./connection";
import { DockerInfluxDB } from "./influxdb-docker";
import { ExternalInfluxDB } from "./influxdb-external";
import { KubernetesInfluxDB } from "./influxdb-kubernetes";
import { InfluxSettings, InfluxSettingsError } from "./settings/influxdb";

/** The component built for a platform; each is an {@link InfluxConnection}. */
export type InfluxDB = DockerInfluxDB | KubernetesInfluxDB | ExternalInfluxDB;

/** Build the InfluxDB implementation the settings choose. */
export function createInfluxDB(
    name: string,
    settings: InfluxSettings,
    opts?: pulumi.ComponentResourceOptions,
): InfluxDB & InfluxConnection {
    switch (settings.platform) {
        case "docker": {
            const { platform: _platform, ...args } = settings;
            return new DockerInfluxDB(name, args, opts);
        }
        case "kubernetes": {
            const { platform: _platform, ...args } = settings;
            return new KubernetesInfluxDB(name, args, opts);
        }
        case "external": {
            const { platform: _platform, ...args } = settings;
            return new ExternalInfluxDB(name, args, opts);
        }
        default: {
            const unknown: never = settings;
            throw new InfluxSettingsError([
                `platform: unknown platform ${JSON.stringify((unknown as { platform: unknown }).platform)}.`,
            ]);
        }
    }
}
