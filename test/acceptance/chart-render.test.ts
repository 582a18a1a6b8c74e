// Both Helm charts rendered with `helm template` from exactly the values the program emits (under mocks), for the
// Kubernetes defaults and the Kubernetes example stack: the manifests a cluster would receive wire InfluxDB's admin
// Secret into its StatefulSet, and Flagsmith's API and task processor to the InfluxDB service, organization, bucket
// and the token Secret the program made; the URLs the program exports point at services the charts really create.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { containerEnv, manifest, Manifest, renderChart } from "../harness/helm";
import { resolveOutput, runProgram } from "../harness/mocks";
import { mockToken, programMocks, TYPES } from "../harness/program-mocks";
import { describeWithReference, referencePath } from "../harness/reference-data";
import { TASK_PROCESSOR_LIVENESS_DELAY_SECONDS } from "../../components/flagsmith-kubernetes";
import { yamlTextProblem } from "../../components/settings/validators";

const CHARTS = {
    influxdb2: referencePath("charts/influxdb2-2.1.2"),
    flagsmith: referencePath("charts/flagsmith-0.81.0"),
};

/** The example stack file's settings, without the project prefix. */
function exampleConfig(file: string): Record<string, unknown> {
    const config = (YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", file), "utf8")) as { config: object })
        .config;
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^flagsmith-influxdb:/, ""), v]));
}

const DB_PASSWORD = "p@ss/w:rd#1";
const STACKS: [string, string, () => Record<string, unknown>, Record<string, string>?][] = [
    ["the Kubernetes defaults", "staging", () => ({ platform: "kubernetes" })],
    ["Pulumi.k8s.example.yaml", "k8s", () => exampleConfig("Pulumi.k8s.example.yaml")],
    [
        "an external database given by parts, with a password full of URL delimiters",
        "extdb",
        () => ({
            platform: "kubernetes",
            flagsmith: { database: { host: "db.internal", database: "flagsmith", username: "fs" } },
        }),
        { flagsmithDatabasePassword: DB_PASSWORD },
    ],
];

describeWithReference(
    "why names that YAML reads as other than text are refused on Kubernetes",
    Object.values(CHARTS),
    () => {
        it("both charts write the organization unquoted: 2024 reaches the env as a number (yamlTextProblem)", async function () {
            this.timeout(120_000);
            const main = require("../../index") as () => Promise<Record<string, unknown>>;
            const r = await runProgram(main, {
                config: { platform: "kubernetes" },
                mocks: programMocks(),
                stack: "yaml",
            });
            const values = (chart: string) => r.byType(TYPES.release).find((x) => x.inputs.chart === chart)!.inputs;
            const influxRelease = values("influxdb2");
            const influxValues = influxRelease.values as { adminUser: Record<string, unknown> };
            const influx = renderChart(CHARTS.influxdb2, String(influxRelease.name), String(influxRelease.namespace), {
                ...influxValues,
                adminUser: { ...influxValues.adminUser, organization: "2024" },
            });
            const set = influx.find((m) => m.kind === "StatefulSet")!;
            const env = (
                set.spec as { template: { spec: { containers: { env: { name: string; value: unknown }[] }[] } } }
            ).template.spec.containers[0].env;
            assert.strictEqual(env.find((e) => e.name === "DOCKER_INFLUXDB_INIT_ORG")?.value, 2024);
            const flagsmithRelease = values("flagsmith");
            const flagsmithValues = flagsmithRelease.values as { influxdbExternal: Record<string, unknown> };
            const flagsmith = renderChart(
                CHARTS.flagsmith,
                String(flagsmithRelease.name),
                String(flagsmithRelease.namespace),
                { ...flagsmithValues, influxdbExternal: { ...flagsmithValues.influxdbExternal, organization: "2024" } },
            );
            const api = manifest(flagsmith, "Deployment", `${String(flagsmithRelease.name)}-api`);
            const apiEnv = (
                api.spec as { template: { spec: { containers: { env: { name: string; value: unknown }[] }[] } } }
            ).template.spec.containers[0].env;
            assert.strictEqual(apiEnv.find((e) => e.name === "INFLUXDB_ORG")?.value, 2024);
            assert.match(yamlTextProblem("2024") ?? "", /as a number/);
            assert.strictEqual(yamlTextProblem("flagsmith-2024"), undefined);
        });
    },
);

describeWithReference("the charts rendered from the values the program emits", Object.values(CHARTS), () => {
    for (const [title, stack, config, secretConfig] of STACKS) {
        describe(title, function () {
            this.timeout(120_000);
            let flagsmithRelease: string;
            let influx: Manifest[];
            let flagsmith: Manifest[];
            let outputs: Record<string, unknown>;
            let secrets: Map<string, Record<string, string>>;
            let claims: { name: string; namespace: string; annotations: Record<string, string> }[];
            let releaseDependsOn: string[];
            let claimUrns: string[];
            before(async function () {
                const main = require("../../index") as () => Promise<Record<string, unknown>>;
                const r = await runProgram(main, { config: config(), secretConfig, mocks: programMocks(), stack });
                const render = (chart: "influxdb2" | "flagsmith") => {
                    const release = r.byType(TYPES.release).find((x) => x.inputs.chart === chart)!;
                    const { name, namespace, values } = release.inputs;
                    return renderChart(CHARTS[chart], String(name), String(namespace), values);
                };
                flagsmithRelease = String(
                    r.byType(TYPES.release).find((x) => x.inputs.chart === "flagsmith")!.inputs.name,
                );
                influx = render("influxdb2");
                flagsmith = render("flagsmith");
                outputs = {};
                for (const [k, v] of Object.entries(r.result))
                    outputs[k] = (await resolveOutput(pulumi.output(v))).value;
                claims = r.byType(TYPES.persistentVolumeClaim).map((c) => {
                    const m = c.inputs.metadata as {
                        name: string;
                        namespace: string;
                        annotations: Record<string, string>;
                    };
                    return { name: m.name, namespace: m.namespace, annotations: m.annotations };
                });
                releaseDependsOn = r.byType(TYPES.release).find((x) => x.inputs.chart === "flagsmith")!.dependsOn;
                claimUrns = r.byType(TYPES.persistentVolumeClaim).map((c) => c.urn);
                secrets = new Map(
                    r
                        .byType(TYPES.secret)
                        .map((s) => [
                            (s.inputs.metadata as { name: string }).name,
                            s.inputs.stringData as Record<string, string>,
                        ]),
                );
            });

            it("InfluxDB's StatefulSet sets up with the org, bucket and user, its password and token from the admin Secret", function () {
                const sets = influx.filter((m) => m.kind === "StatefulSet");
                assert.strictEqual(sets.length, 1);
                const env = containerEnv(sets[0], "influxdb2");
                assert.deepStrictEqual(
                    [env.DOCKER_INFLUXDB_INIT_MODE, env.DOCKER_INFLUXDB_INIT_ORG, env.DOCKER_INFLUXDB_INIT_USERNAME],
                    ["setup", outputs.influxdbOrg, outputs.influxdbUsername],
                );
                for (const [variable, output] of [
                    ["DOCKER_INFLUXDB_INIT_PASSWORD", "influxdbAdminPassword"],
                    ["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "influxdbOperatorToken"],
                ] as const) {
                    const ref = env[variable] as { secret: string; key: string };
                    assert.strictEqual(typeof ref, "object", `${variable} comes from a Secret`);
                    assert.strictEqual(
                        secrets.get(ref.secret)?.[ref.key],
                        outputs[output],
                        `${variable}: ${ref.secret}`,
                    );
                }
            });

            it("the providers' own port-forward selects the InfluxDB pod the chart creates, at its API port", function () {
                const access = outputs.influxdbKubernetes as
                    { namespace: string; podSelector: string; port: number } | undefined;
                if (access === undefined) {
                    // influxdb.managementUrl set: no port-forward.
                    assert.ok(outputs.influxdbUrl !== outputs.influxdbInternalUrl);
                    return;
                }
                const set = influx.find((m) => m.kind === "StatefulSet")!;
                const template = (set.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
                for (const pair of access.podSelector.split(",")) {
                    const [k, v] = pair.split("=");
                    assert.strictEqual(template.metadata.labels[k], v, `pod label ${k}`);
                }
                // The Service selects the same pods (the selector is the chart's selectorLabels).
                const url = new URL(String(outputs.influxdbInternalUrl));
                const svc = manifest(influx, "Service", url.hostname.split(".")[0]);
                const selector = (svc.spec as { selector: Record<string, string> }).selector;
                assert.deepStrictEqual(
                    Object.entries(selector)
                        .map(([k, v]) => `${k}=${v}`)
                        .sort(),
                    access.podSelector.split(",").sort(),
                );
                const containers = (
                    set.spec as { template: { spec: { containers: { ports?: { containerPort: number }[] }[] } } }
                ).template.spec.containers;
                assert.ok(containers.some((c) => (c.ports ?? []).some((p) => p.containerPort === access.port)));
                assert.strictEqual(access.namespace, url.hostname.split(".")[1]);
            });

            it("the InfluxDB URL Flagsmith gets names the service and port the chart creates", function () {
                const url = new URL(String((outputs.flagsmithEnv as Record<string, string>).INFLUXDB_URL));
                const [service, namespace] = url.hostname.split(".");
                const svc = manifest(influx, "Service", service);
                assert.strictEqual(svc.metadata.namespace ?? namespace, namespace);
                const ports = (svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port);
                assert.ok(ports.includes(Number(url.port)), `${url.port} in ${ports.join()}`);
            });

            it("Flagsmith's API and task processor get the four variables, the token from the program's Secret", function () {
                const env = outputs.flagsmithEnv as Record<string, string>;
                // The chart's fullname is the release name (which contains the chart's name).
                for (const [deployment, container] of [
                    [`${flagsmithRelease}-api`, "flagsmith-api"],
                    [`${flagsmithRelease}-task-processor`, "flagsmith-task-processor"],
                ]) {
                    const got = containerEnv(manifest(flagsmith, "Deployment", deployment), container);
                    assert.deepStrictEqual(
                        [got.INFLUXDB_URL, got.INFLUXDB_ORG, got.INFLUXDB_BUCKET],
                        [env.INFLUXDB_URL, env.INFLUXDB_ORG, env.INFLUXDB_BUCKET],
                        deployment,
                    );
                    const ref = got.INFLUXDB_TOKEN as { secret: string; key: string };
                    assert.strictEqual(secrets.get(ref.secret)?.[ref.key], mockToken("analytics-flagsmith-token"));
                }
            });

            it("the task processor's first liveness probe waits out a first install's migrations", function () {
                const deployment = manifest(flagsmith, "Deployment", `${flagsmithRelease}-task-processor`);
                const container = (
                    deployment.spec as {
                        template: {
                            spec: { containers: { name: string; livenessProbe: { initialDelaySeconds: number } }[] };
                        };
                    }
                ).template.spec.containers.find((c) => c.name === "flagsmith-task-processor")!;
                assert.strictEqual(container.livenessProbe.initialDelaySeconds, TASK_PROCESSOR_LIVENESS_DELAY_SECONDS);
            });

            it("the dev Postgres keeps its data on the program's own claim, which goes with the stack", function () {
                const postgres = flagsmith.filter(
                    (m) => m.kind === "StatefulSet" && m.metadata.name.endsWith("dev-postgresql"),
                );
                if (postgres.length === 0) {
                    assert.deepStrictEqual(claims, [], "an external database: no claim");
                    return;
                }
                const spec = postgres[0].spec as {
                    volumeClaimTemplates?: unknown[];
                    template: { spec: { volumes?: { persistentVolumeClaim?: { claimName: string } }[] } };
                };
                // No volumeClaimTemplates: their claims would outlive `helm uninstall` with the old password's data.
                assert.strictEqual(spec.volumeClaimTemplates, undefined);
                const claimNames = (spec.template.spec.volumes ?? []).flatMap((v) =>
                    v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
                );
                assert.deepStrictEqual(
                    claimNames,
                    claims.map((c) => c.name),
                );
                assert.strictEqual(claims[0].namespace, postgres[0].metadata.namespace ?? claims[0].namespace);
                assert.strictEqual(claims[0].annotations["pulumi.com/skipAwait"], "true", "bound only once used");
                assert.ok(
                    claimUrns.every((u) => releaseDependsOn.includes(u)),
                    "the release waits for its claim",
                );
            });

            it("Flagsmith's database URL reaches the API from a Secret, whole whatever the password", function () {
                const api = containerEnv(manifest(flagsmith, "Deployment", `${flagsmithRelease}-api`), "flagsmith-api");
                const ref = api.DATABASE_URL as { secret: string; key: string };
                assert.strictEqual(typeof ref, "object", "DATABASE_URL comes from a Secret");
                if (secretConfig) {
                    // By parts: the program's Secret, with each part percent-encoded.
                    const url = new URL(String(secrets.get(ref.secret)?.[ref.key]));
                    assert.deepStrictEqual(
                        [url.hostname, url.port, decodeURIComponent(url.username), decodeURIComponent(url.password)],
                        ["db.internal", "5432", "fs", DB_PASSWORD],
                    );
                }
            });

            it("creates no PodDisruptionBudget over the single InfluxDB pod and no autoscaler for an absent SSE service", function () {
                assert.deepStrictEqual(
                    influx.filter((m) => m.kind === "PodDisruptionBudget"),
                    [],
                    "node drains",
                );
                const hpas = flagsmith.filter((m) => m.kind === "HorizontalPodAutoscaler").map((m) => m.metadata.name);
                assert.deepStrictEqual(hpas, []);
            });

            it("the exported Flagsmith addresses point at services the chart creates", function () {
                const api = new URL(String(outputs.flagsmithApiInternalUrl));
                const apiSvc = manifest(flagsmith, "Service", api.hostname.split(".")[0]);
                assert.ok(
                    (apiSvc.spec as { ports: { port: number }[] }).ports.some((p) => p.port === Number(api.port)),
                );
                const [, svc, ports] = /svc\/(\S+) \d+:(\d+)$/.exec(String(outputs.flagsmithPortForward)) ?? [];
                const frontend = manifest(flagsmith, "Service", svc);
                assert.ok((frontend.spec as { ports: { port: number }[] }).ports.some((p) => p.port === Number(ports)));
            });
        });
    }
});
