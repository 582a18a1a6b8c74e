// KubernetesInfluxDB under mocks (components/influxdb-kubernetes.ts), behind the one InfluxConnection: what it
// registers, with which values (and their validation against the chart), and that secrets stay secret. Helpers
// shared with the other InfluxDB specs: influxdb-helpers.ts.
import * as assert from "assert";
import { validateChartValues } from "../../components/chart-values";
import { INFLUXDB2_CHART, influxdb2Fullname, KubernetesInfluxDB } from "../../components/influxdb-kubernetes";
import { parseInfluxSettings } from "../../components/settings/influxdb";
import { MockRun, resolveOutput, resolveOutputs, runProgram } from "../harness/mocks";
import {
    RANDOM_PASSWORD,
    SECRET,
    ORGANIZATION,
    ORG_ID,
    VALUES_FILE,
    PASSWORD,
    TOKEN,
    mocks,
    runSettings,
    runConfig,
    assertConnection,
    assertNoLeak,
} from "./influxdb-helpers";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function valuesOf(run: MockRun<unknown>): Record<string, Record<string, unknown>> {
    return run.one(RELEASE).inputs.values as Record<string, Record<string, unknown>>;
}

describe("KubernetesInfluxDB", () => {
    it("installs the pinned influxdb2 chart 2.1.2 from helm.influxdata.com in a stack-scoped namespace", async () => {
        const run = await runSettings({ platform: "kubernetes" });
        assert.ok(run.result instanceof KubernetesInfluxDB);
        const release = run.one(RELEASE);
        const ns = run.one(NAMESPACE);
        assert.strictEqual((ns.inputs.metadata as { name: string }).name, "influxdb-test");
        assert.strictEqual(release.inputs.chart, "influxdb2");
        assert.strictEqual(release.inputs.version, "2.1.2");
        assert.deepStrictEqual(release.inputs.repositoryOpts, { repo: "https://helm.influxdata.com/" });
        assert.deepStrictEqual(INFLUXDB2_CHART, { ...INFLUXDB2_CHART, version: "2.1.2" });
        assert.strictEqual(release.inputs.namespace, "influxdb-test");
        assert.strictEqual(release.inputs.name, "influxdb");
        assert.strictEqual(release.inputs.skipAwait, false, "the release waits for readiness");
        assert.strictEqual(release.inputs.timeout, 600);
        assert.deepStrictEqual(release.propertyDependencies.namespace, [ns.urn]);
    });

    it("maps every influxdb2.* parameter of the Flagsmith docs table to its chart value", async () => {
        const run = await runConfig({
            config: {
                platform: "kubernetes",
                influxdb: {
                    nameOverride: "tsdb",
                    image: {
                        repository: "registry.example.com/influxdb",
                        tag: "2.7.12-alpine",
                        pullPolicy: "Always",
                        pullSecrets: ["regcred"],
                    },
                    org: "flagsmith",
                    bucket: "raw",
                    username: "root",
                    retention: "4w",
                    persistence: { enabled: true, size: "20Gi", storageClass: "fast-ssd" },
                    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
                    nodeSelector: { "kubernetes.io/os": "linux" },
                    tolerations: [{ key: "dedicated", operator: "Equal", value: "tsdb", effect: "NoSchedule" }],
                    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
                },
            },
            secretConfig: { influxdbAdminPassword: "docs-password-1", influxdbAdminToken: "docs-token-2" },
        });
        const values = valuesOf(run);
        assert.strictEqual(values.nameOverride, "tsdb"); // influxdb2.nameOverride
        assert.deepStrictEqual(values.image, {
            repository: "registry.example.com/influxdb", // influxdb2.image.repository
            tag: "2.7.12-alpine", // influxdb2.image.tag
            pullPolicy: "Always", // influxdb2.image.imagePullPolicy
            pullSecrets: ["regcred"], // influxdb2.image.imagePullSecrets
        });
        const secretName = (run.one(SECRET).inputs.metadata as { name: string }).name;
        assert.deepStrictEqual(values.adminUser, {
            organization: "flagsmith", // influxdb2.adminUser.organization
            bucket: "raw", // influxdb2.adminUser.bucket
            user: "root", // inflxdb2.adminUser.user (sic)
            retention_policy: "4w",
            existingSecret: secretName, // influxdb2.adminUser.password and .token, through the Secret
        });
        assert.deepStrictEqual(values.persistence, { enabled: true, size: "20Gi", storageClass: "fast-ssd" });
        assert.deepStrictEqual(values.resources, {
            requests: { cpu: "250m", memory: "512Mi" },
            limits: { memory: "1Gi" },
        });
        assert.deepStrictEqual(values.nodeSelector, { "kubernetes.io/os": "linux" });
        assert.deepStrictEqual(values.tolerations, [
            { key: "dedicated", operator: "Equal", value: "tsdb", effect: "NoSchedule" },
        ]);
        assert.deepStrictEqual(values.affinity, {
            nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
        });
        const stringData = run.one(SECRET).inputs.stringData as Record<string, string>;
        assert.deepStrictEqual(stringData, { "admin-password": "docs-password-1", "admin-token": "docs-token-2" });
        // Every key we send exists in the chart's values.yaml.
        validateChartValues(values, VALUES_FILE);
        assertNoLeak(run, "docs-password-1", "docs-token-2");
    });

    it("keeps the generated password and token in a Pulumi-managed Secret, never in the values", async () => {
        const run = await runSettings({ platform: "kubernetes" });
        const secret = run.one(SECRET);
        const meta = secret.inputs.metadata as { name: string; namespace: string };
        assert.strictEqual(meta.name, "influxdb-admin-credentials");
        assert.strictEqual(meta.namespace, "influxdb-test");
        assert.strictEqual(secret.inputs.type, "Opaque");
        assert.deepStrictEqual(secret.inputs.stringData, { "admin-password": PASSWORD, "admin-token": TOKEN });
        assert.ok(secret.secretInputs.includes("stringData"), "stringData is sent as a secret");
        const values = valuesOf(run);
        assert.strictEqual(values.adminUser.existingSecret, "influxdb-admin-credentials");
        assert.ok(!("password" in values.adminUser) && !("token" in values.adminUser));
        assert.ok(run.one(RELEASE).dependencies.includes(secret.urn), "the Secret exists before the release");
        assertNoLeak(run, PASSWORD, TOKEN);
    });

    it("defaults: persistence on, docs org/bucket/user, pinned 2.x image, service on 8086", async () => {
        const values = valuesOf(await runSettings({ platform: "kubernetes" }));
        assert.strictEqual(values.nameOverride, "influxdb");
        assert.deepStrictEqual(values.image, { repository: "influxdb", tag: "2.7.12", pullPolicy: "IfNotPresent" });
        assert.deepStrictEqual(values.persistence, { enabled: true });
        assert.deepStrictEqual(values.service, { port: 8086 });
        assert.strictEqual(values.adminUser.organization, "influxdata");
        assert.strictEqual(values.adminUser.bucket, "default");
        assert.strictEqual(values.adminUser.user, "admin");
        assert.strictEqual(values.adminUser.retention_policy, "0s");
        for (const key of ["resources", "nodeSelector", "tolerations", "affinity"]) {
            assert.ok(!(key in values), `${key} left to the chart`);
        }
        validateChartValues(values, VALUES_FILE);
    });

    it("computes the in-cluster URL from the chart's fullname, and documents the port-forward", async () => {
        const run = await runSettings({ platform: "kubernetes" });
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.internalUrl.value, "http://influxdb.influxdb-test.svc.cluster.local:8086");
        // No managementUrl: the providers reach the in-cluster URL through their own port-forward to the pods.
        assert.strictEqual(out.managementUrl.value, "http://influxdb.influxdb-test.svc.cluster.local:8086");
        const access = await resolveOutput((run.result as KubernetesInfluxDB).kubernetesAccess!);
        assert.deepStrictEqual(access.value, {
            namespace: "influxdb-test",
            podSelector: "app.kubernetes.io/name=influxdb,app.kubernetes.io/instance=influxdb",
            port: 8086,
        });
        assert.strictEqual(
            out.portForwardCommand.value,
            "kubectl -n influxdb-test port-forward svc/influxdb 8086:8086",
        );
        const renamed = await runSettings({
            platform: "kubernetes",
            nameOverride: "tsdb",
            managementUrl: "https://influxdb.example.com",
            namespace: "analytics",
        });
        const r = await resolveOutputs(renamed.result);
        assert.strictEqual(r.internalUrl.value, "http://influxdb-tsdb.analytics.svc.cluster.local:8086");
        assert.strictEqual(r.managementUrl.value, "https://influxdb.example.com");
        assert.strictEqual((renamed.result as KubernetesInfluxDB).kubernetesAccess, undefined, "reached directly");
        const full = await runSettings({ platform: "kubernetes", extraValues: { fullnameOverride: "tsdb-main" } });
        assert.strictEqual((await resolveOutputs(full.result)).serviceName.value, "tsdb-main");
    });

    it("previews with the org ID unknown and the URLs known", async () => {
        const run = await runSettings({ platform: "kubernetes" }, { preview: true });
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.orgId.known, false);
        assert.deepStrictEqual(out.adminToken, { value: undefined, known: false, secret: true });
        assert.strictEqual(out.internalUrl.value, "http://influxdb.influxdb-test.svc.cluster.local:8086");
        assert.ok(run.one(SECRET).secretInputs.includes("stringData"));
    });

    it("reproduces the chart's fullname helper", () => {
        assert.strictEqual(influxdb2Fullname("influxdb", "influxdb"), "influxdb");
        assert.strictEqual(influxdb2Fullname("influxdb"), "influxdb-influxdb2");
        assert.strictEqual(influxdb2Fullname("my-influxdb2"), "my-influxdb2");
        assert.strictEqual(influxdb2Fullname("influxdb", "tsdb"), "influxdb-tsdb");
        assert.strictEqual(influxdb2Fullname("x", "y", "override"), "override");
        assert.strictEqual(influxdb2Fullname("a".repeat(60), "bcdef").length, 63);
        assert.strictEqual(influxdb2Fullname(`${"a".repeat(62)}-`, "zz"), "a".repeat(62));
    });

    it("resolves the org ID after the release is ready, deleted with the release", async () => {
        const run = await runSettings({ platform: "kubernetes" });
        const release = run.one(RELEASE);
        const org = run.one(ORGANIZATION);
        assert.deepStrictEqual(org.dependsOn, [release.urn]);
        assert.strictEqual(org.options.deletedWith, release.urn);
        const k = run.result as KubernetesInfluxDB;
        assert.deepStrictEqual(k.readiness, [k.server]);
        await assertConnection(k, {
            internalUrl: "http://influxdb.influxdb-test.svc.cluster.local:8086",
            managementUrl: "http://influxdb.influxdb-test.svc.cluster.local:8086",
            org: "influxdata",
            orgId: ORG_ID,
            adminToken: TOKEN,
            initialBucket: "default",
        });
    });

    it("passes extraValues through, checked against the chart's values.yaml", async () => {
        const run = await runSettings({
            platform: "kubernetes",
            extraValues: {
                service: { type: "LoadBalancer" },
                podAnnotations: { "prometheus.io/scrape": "true" },
                ingress: { enabled: true, className: "nginx", hostname: "influxdb.example.com" },
                initScripts: { enabled: true, scripts: { "buckets.sh": "#!/bin/sh\n" } },
            },
        });
        const values = valuesOf(run);
        assert.deepStrictEqual(values.service, { port: 8086, type: "LoadBalancer" }, "merged with ours");
        assert.deepStrictEqual(values.podAnnotations, { "prometheus.io/scrape": "true" });
        assert.strictEqual((values.ingress as Record<string, unknown>).className, "nginx");

        for (const [extraValues, message] of [
            [{ persistance: { size: "1Gi" } }, /"persistance" \(did you mean "persistence"\?\)/],
            [
                { image: { imagePullPolicy: "Always" } },
                /"image\.imagePullPolicy" \(did you mean "image\.pullPolicy"\?\)/,
            ],
            [{ adminUser: { orgnization: "x" } }, /"adminUser\.orgnization"/],
        ] as const) {
            await assert.rejects(
                runSettings({ platform: "kubernetes", extraValues }),
                (e: Error) => message.test(e.message) && e.message.includes("values.yaml"),
            );
        }
        await assert.rejects(
            runSettings({ platform: "kubernetes", extraValues: { adminUser: { token: "plain" } } }),
            /extraValues: "adminUser\.token" cannot be set here: use the adminToken argument/,
        );
        await assert.rejects(
            runProgram(
                () =>
                    new KubernetesInfluxDB("influxdb", {
                        extraValues: { pdb: { create: false } },
                        chartValuesFile: "/nonexistent/values.yaml",
                    }),
                { mocks: mocks() },
            ),
            /values file \/nonexistent\/values\.yaml cannot be read/,
        );
    });

    it("carries the stack in the namespace, so two stacks share a cluster", async () => {
        const dev = await runSettings({ platform: "kubernetes" }, { stack: "dev" });
        const prod = await runSettings({ platform: "kubernetes" }, { stack: "Team_A.prod" });
        assert.strictEqual((dev.one(NAMESPACE).inputs.metadata as { name: string }).name, "influxdb-dev");
        assert.strictEqual((prod.one(NAMESPACE).inputs.metadata as { name: string }).name, "influxdb-team-a-prod");
        assert.strictEqual(prod.one(RELEASE).inputs.namespace, "influxdb-team-a-prod");
    });

    it("protects the namespace, release, Secret and credentials only when configured", async () => {
        const held = (run: MockRun<unknown>) => [
            run.one(NAMESPACE),
            run.one(RELEASE),
            run.one(SECRET),
            ...run.byType(RANDOM_PASSWORD),
        ];
        for (const r of held(await runSettings({ platform: "kubernetes" }))) {
            assert.strictEqual(r.options.protect, false, r.name);
            assert.notStrictEqual(r.options.retainOnDelete, true, r.name);
        }
        const prod = await runConfig({ config: { platform: "kubernetes", influxdb: { protectData: true } } });
        for (const r of held(prod)) {
            assert.strictEqual(r.options.protect, true, r.name);
        }
        // Retained data keeps what the kept StatefulSet needs to start: the admin Secret it reads.
        const kept = await runConfig({
            config: { platform: "kubernetes", influxdb: { retainDataOnDelete: true } },
        });
        for (const r of [kept.one(NAMESPACE), kept.one(RELEASE), kept.one(SECRET)]) {
            assert.strictEqual(r.options.retainOnDelete, true, r.name);
        }
    });

    it("rejects an image tag that is not InfluxDB 2.x", async () => {
        assert.throws(
            () => parseInfluxSettings({ platform: "kubernetes", image: { tag: "latest" } }),
            /influxdb\.image\.tag: image tag "latest" is InfluxDB 3/,
        );
        await assert.rejects(
            runProgram(() => new KubernetesInfluxDB("influxdb", { image: { tag: "3.1" } }), { mocks: mocks() }),
            /KubernetesInfluxDB "influxdb" image\.tag: image tag "3\.1" is not an InfluxDB 2\.x tag/,
        );
    });
});
