// flagsmith-influxdb: InfluxDB (Docker, Kubernetes or external) + Flagsmith's analytics buckets, downsampling tasks
// and least-privilege token + Flagsmith wired to them. `pulumi up` per stack; see README.md.
import * as pulumi from "@pulumi/pulumi";
import { analyticsBucketNames, assertTasksValid, InfluxAnalytics, planTasks } from "./components/analytics";
import { createFlagsmith } from "./components/flagsmith";
import { createInfluxDB } from "./components/influxdb";
import { readStackSettings } from "./components/settings/stack";

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

    const flagsmith = createFlagsmith(settings.flagsmith, influx, analytics);

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
