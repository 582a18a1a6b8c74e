// flagsmith-influxdb: InfluxDB (Docker, Kubernetes or external) + Flagsmith's analytics buckets, downsampling tasks
// and least-privilege token + Flagsmith wired to them. `pulumi up` per stack; see README.md.
import * as pulumi from "@pulumi/pulumi";
import { analyticsBucketNames, assertTasksValid, InfluxAnalytics, planTasks } from "./components/analytics";
import { DockerFlagsmith } from "./components/flagsmith-docker";
import { KubernetesFlagsmith } from "./components/flagsmith-kubernetes";
import { createInfluxDB } from "./components/influxdb";
import { DockerInfluxDB } from "./components/influxdb-docker";
import { readStackSettings } from "./components/stack-config";

export = async () => {
    const settings = readStackSettings();
    const bucketNames = analyticsBucketNames(settings.bucket);
    // Every Flux script is checked by the Flux analyzer here, so a preview fails before any write.
    const tasks = planTasks(settings.bucket, settings.tasks);
    for (const warning of await assertTasksValid(tasks, Object.values(bucketNames))) {
        await pulumi.log.warn(warning);
    }

    const influx = createInfluxDB("influxdb", settings.influx);
    const analytics = new InfluxAnalytics("analytics", {
        influx,
        bucket: settings.bucket,
        retention: settings.retention,
        tasks,
        adopt: settings.adopt,
        backfillRange: settings.backfillRange,
    });

    let flagsmithUrl: pulumi.Output<string> | undefined;
    const f = settings.flagsmith;
    if (f.platform === "docker") {
        const flagsmith = new DockerFlagsmith(
            "flagsmith",
            {
                influxEnv: analytics.env,
                network: (influx as DockerInfluxDB).networkName,
                image: f.image,
                apiPort: f.apiPort,
                allowedHosts: f.allowedHosts,
                protectData: f.protectData,
            },
            { dependsOn: [analytics] },
        );
        flagsmithUrl = flagsmith.apiUrl;
    } else if (f.platform === "kubernetes") {
        const flagsmith = new KubernetesFlagsmith(
            "flagsmith",
            {
                influxEnv: analytics.env,
                namespace: f.namespace,
                databaseExternal: f.database,
                extraValues: f.extraValues,
            },
            { dependsOn: [analytics] },
        );
        flagsmithUrl = flagsmith.apiUrl;
    }

    return {
        platform: settings.influx.platform,
        flagsmithUrl,
        influxdbUrl: influx.managementUrl,
        influxdbInternalUrl: influx.internalUrl,
        influxdbOrg: influx.org,
        influxdbOrgId: influx.orgId,
        /** Kubernetes: the port-forward that makes influxdbUrl reachable from this machine. */
        influxdbPortForward: "portForwardCommand" in influx ? influx.portForwardCommand : undefined,
        buckets: bucketNames,
        taskNames: tasks.map((t) => t.name),
        taskHealth: analytics.taskHealth,
        /** The four variables for Flagsmith; INFLUXDB_TOKEN is a secret (`pulumi stack output --show-secrets`). */
        flagsmithEnv: analytics.env,
    };
};
