// flagsmith-influxdb: InfluxDB (Docker, Kubernetes or external) + Flagsmith's analytics buckets, downsampling tasks
// and least-privilege token + Flagsmith wired to them. `pulumi up` per stack; see README.md.
import * as pulumi from "@pulumi/pulumi";
import { analyticsBucketNames, assertTasksValid, InfluxAnalytics, planTasks } from "./components/analytics";
import { DockerFlagsmith } from "./components/flagsmith-docker";
import { KubernetesFlagsmith } from "./components/flagsmith-kubernetes";
import { createInfluxDB } from "./components/influxdb";
import { DockerInfluxDB } from "./components/influxdb-docker";
import { readStackSettings } from "./components/stack-config";

/** How a person reaches Flagsmith once `pulumi up` is done. */
interface FlagsmithAccessOutputs {
    /** What to open in a browser (Docker: the API with its bundled frontend; Kubernetes: the dashboard). */
    readonly flagsmithUrl?: pulumi.Output<string>;
    /** Kubernetes without a frontend ingress: the port-forward that makes flagsmithUrl work. */
    readonly flagsmithPortForward?: pulumi.Output<string | undefined>;
    /** Kubernetes: the API as Flagsmith's pods reach it (not reachable from outside the cluster). */
    readonly flagsmithApiInternalUrl?: pulumi.Output<string>;
    /** The command that creates the first Flagsmith user (a Django superuser). */
    readonly flagsmithFirstUser?: pulumi.Output<string>;
}

export = async () => {
    const settings = readStackSettings();
    for (const warning of settings.warnings) {
        await pulumi.log.warn(warning);
    }
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
        retention: settings.retentionSet,
        tasks,
        adopt: settings.adopt,
        backfillRange: settings.backfillRange,
    });

    let flagsmith: FlagsmithAccessOutputs = {};
    const f = settings.flagsmith;
    if (f.platform === "docker") {
        const docker = new DockerFlagsmith(
            "flagsmith",
            {
                influxEnv: analytics.env,
                // InfluxDB's network when it runs on Docker; else a network of Flagsmith's own (external InfluxDB).
                network: influx instanceof DockerInfluxDB ? influx.networkName : undefined,
                image: f.image,
                apiPort: f.apiPort,
                bindAddress: f.bindAddress,
                allowedHosts: f.allowedHosts,
                extraEnv: f.extraEnv,
                protectData: f.protectData,
            },
            { dependsOn: [analytics] },
        );
        flagsmith = { flagsmithUrl: docker.apiUrl, flagsmithFirstUser: docker.createSuperuserCommand };
    } else if (f.platform === "kubernetes") {
        const k8s = new KubernetesFlagsmith(
            "flagsmith",
            {
                influxEnv: analytics.env,
                namespace: f.namespace,
                databaseExternal: f.database,
                extraValues: f.extraValues,
            },
            { dependsOn: [analytics] },
        );
        flagsmith = {
            flagsmithUrl: k8s.dashboardUrl,
            flagsmithPortForward: k8s.dashboardPortForward,
            flagsmithApiInternalUrl: k8s.apiUrl,
            flagsmithFirstUser: k8s.createSuperuserCommand,
        };
    }

    return {
        platform: settings.influx.platform,
        flagsmithUrl: flagsmith.flagsmithUrl,
        flagsmithPortForward: flagsmith.flagsmithPortForward,
        flagsmithApiInternalUrl: flagsmith.flagsmithApiInternalUrl,
        flagsmithFirstUser: flagsmith.flagsmithFirstUser,
        influxdbUrl: influx.managementUrl,
        influxdbInternalUrl: influx.internalUrl,
        influxdbOrg: influx.org,
        influxdbOrgId: influx.orgId,
        /** Kubernetes: where the providers' own port-forward goes (no `kubectl port-forward` needed for `up`). */
        influxdbKubernetes: influx.kubernetesAccess,
        /** Kubernetes: the port-forward for a person (the InfluxDB UI at http://localhost:8086). */
        influxdbPortForward: "portForwardCommand" in influx ? influx.portForwardCommand : undefined,
        /** Docker, Kubernetes: the InfluxDB UI login set at first boot; the password is a secret. */
        influxdbUsername: "username" in influx ? influx.username : undefined,
        influxdbAdminPassword: "adminPassword" in influx ? influx.adminPassword : undefined,
        /** The operator (all-access) token the stack manages InfluxDB with; a secret. */
        influxdbOperatorToken: influx.adminToken,
        buckets: bucketNames,
        taskNames: tasks.map((t) => t.name),
        /** Task name -> InfluxDB task ID (`influx task log list --task-id <id>`). */
        taskIds: analytics.taskIds,
        taskHealth: analytics.taskHealth,
        /** The four variables for Flagsmith; INFLUXDB_TOKEN is a secret (`pulumi stack output --show-secrets`). */
        flagsmithEnv: analytics.env,
    };
};
