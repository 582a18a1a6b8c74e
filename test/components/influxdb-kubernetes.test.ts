// InfluxDB components under mocks: DockerInfluxDB, KubernetesInfluxDB and ExternalInfluxDB behind one
// InfluxConnection, chosen by stack config; what each registers, with which values, that secrets stay secret, and the
// validation of settings and chart values.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    chartValueKeys,
    findUnknownChartKeys,
    loadChartKeys,
    validateChartValues,
} from "../../components/chart-values";
import { InfluxConnection } from "../../components/connection";
import { createInfluxDB } from "../../components/influxdb";
import { DEFAULT_DOCKER_IMAGE, DockerInfluxDB } from "../../components/influxdb-docker";
import { ExternalInfluxDB } from "../../components/influxdb-external";
import {
    INFLUXDB2_CHART,
    INFLUXDB2_CHART_KEYS_FILE,
    influxdb2Fullname,
    KubernetesInfluxDB,
} from "../../components/influxdb-kubernetes";
import { InfluxSettingsError, influxSettingsFromConfig, parseInfluxSettings } from "../../components/settings/influxdb";
import { parseRetention } from "../../components/settings/validators";
import {
    MOCK_ID,
    MockArgs,
    MockOutputs,
    MockRun,
    resolveOutput,
    resolveOutputs,
    runProgram,
    RunOptions,
    UNKNOWN,
} from "../harness/mocks";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const ORGANIZATION = "pulumi-nodejs:dynamic/influxdb:Organization";
const ORGANIZATION_PROBE = "pulumi-nodejs:dynamic/influxdb:OrganizationProbe";

const ORG_ID = "0a1b2c3d4e5f6789";
/** The committed key tree of the pinned chart's values.yaml, the components' default. */
const VALUES_FILE = INFLUXDB2_CHART_KEYS_FILE;

/** What the generated password or token of a RandomPassword resolves to. */
const generated = (name: string) => `gen-${name}-Qx7`;
const PASSWORD = generated("influxdb-admin-password");
const TOKEN = generated("influxdb-admin-token");

function mocks(extra: Record<string, MockOutputs> = {}): Record<string, MockOutputs> {
    return {
        [RANDOM_PASSWORD]: (a: MockArgs) => ({ result: a.preview ? UNKNOWN : generated(a.name) }),
        [REMOTE_IMAGE]: (a: MockArgs) => ({ imageId: `sha256:${String(a.inputs.name)}` }),
        // The provider returns the organization ID as the Pulumi ID, and as `orgId`.
        [ORGANIZATION]: (a: MockArgs) => (a.preview ? { orgId: UNKNOWN } : { orgId: ORG_ID, [MOCK_ID]: ORG_ID }),
        ...extra,
    };
}

/** Run `createInfluxDB` on settings parsed from a raw object. */
function runSettings(raw: Record<string, unknown>, options: RunOptions = {}) {
    return runProgram(() => createInfluxDB("influxdb", parseInfluxSettings(raw)), {
        ...options,
        mocks: mocks(options.mocks),
    });
}

/** Run `createInfluxDB` on settings read from stack config, as the program does. */
function runConfig(options: RunOptions) {
    return runProgram(() => createInfluxDB("influxdb", influxSettingsFromConfig()), {
        ...options,
        mocks: mocks(options.mocks),
    });
}

function envOf(run: MockRun<unknown>): Record<string, string> {
    const envs = run.one(CONTAINER).inputs.envs as string[];
    return Object.fromEntries(envs.map((e) => [e.split("=")[0], e.substring(e.indexOf("=") + 1)]));
}

function valuesOf(run: MockRun<unknown>): Record<string, Record<string, unknown>> {
    return run.one(RELEASE).inputs.values as Record<string, Record<string, unknown>>;
}

async function assertConnection(connection: InfluxConnection, expected: Record<string, string>): Promise<void> {
    const out = await resolveOutputs(connection);
    for (const [key, value] of Object.entries(expected)) {
        assert.strictEqual(out[key]?.value, value, `${key}`);
    }
    assert.strictEqual(out.adminToken.secret, true, "adminToken is secret");
    for (const key of ["internalUrl", "managementUrl", "org", "orgId", "initialBucket"]) {
        assert.strictEqual(out[key].secret, false, `${key} is not secret`);
    }
}

/** No secret in plain text in any recorded input or output; every component's adminToken output is secret. */
function assertNoLeak(run: MockRun<unknown>, ...secrets: string[]): void {
    for (const s of secrets) {
        assert.deepStrictEqual(run.plaintextOccurrences(s), [], `${s} leaks`);
    }
    for (const c of run.resources.filter((r) => r.type.startsWith("flagsmith:influxdb:"))) {
        assert.ok(c.secretOutputs.includes("adminToken"), `${c.name}: registered adminToken is secret`);
    }
}

describe("InfluxDB components", () => {
    describe("DockerInfluxDB", () => {
        it("pulls a pinned InfluxDB 2.x image and runs the container from it", async () => {
            const run = await runSettings({ platform: "docker" });
            assert.ok(run.result instanceof DockerInfluxDB);
            const image = run.one(REMOTE_IMAGE);
            assert.strictEqual(DEFAULT_DOCKER_IMAGE, "influxdb:2.7.12");
            assert.strictEqual(image.inputs.name, "influxdb:2.7.12");
            assert.strictEqual(image.inputs.keepLocally, true);
            const container = run.one(CONTAINER);
            assert.strictEqual(container.inputs.image, "sha256:influxdb:2.7.12");
            assert.deepStrictEqual(container.propertyDependencies.image, [image.urn]);
        });

        it("accepts another 2.x tag and rejects latest, untagged and 3.x images, naming the setting", async () => {
            const run = await runSettings({ platform: "docker", image: "influxdb:2.7.11-alpine" });
            assert.strictEqual(run.one(REMOTE_IMAGE).inputs.name, "influxdb:2.7.11-alpine");
            for (const image of ["influxdb:latest", "influxdb", "influxdb:3.0.1-core", "registry:5000/influxdb"]) {
                assert.throws(
                    () => parseInfluxSettings({ platform: "docker", image }),
                    (e: Error) => e instanceof InfluxSettingsError && /influxdb\.image.*2\.x/s.test(e.message),
                    image,
                );
                await assert.rejects(
                    runProgram(() => new DockerInfluxDB("influxdb", { image }), { mocks: mocks() }),
                    /DockerInfluxDB "influxdb" image.*InfluxDB 2\.x|latest = InfluxDB 3/,
                    image,
                );
            }
        });

        it("validates arguments that are Outputs once they resolve", async () => {
            await assert.rejects(
                runProgram(() => new DockerInfluxDB("influxdb", { port: pulumi.output(70000) }), { mocks: mocks() }),
                /DockerInfluxDB "influxdb" port: port must be an integer between 1 and 65535, got 70000/,
            );
            await assert.rejects(
                runProgram(() => new DockerInfluxDB("influxdb", { image: pulumi.output("influxdb:latest") }), {
                    mocks: mocks(),
                }),
                /image tag "latest" is InfluxDB 3/,
            );
        });

        it("sets up the server at first boot with generated, secret credentials", async () => {
            const run = await runSettings({ platform: "docker", org: "flagsmith", bucket: "raw", retention: "30d" });
            assert.deepStrictEqual(envOf(run), {
                DOCKER_INFLUXDB_INIT_MODE: "setup",
                DOCKER_INFLUXDB_INIT_USERNAME: "admin",
                DOCKER_INFLUXDB_INIT_PASSWORD: PASSWORD,
                DOCKER_INFLUXDB_INIT_ORG: "flagsmith",
                DOCKER_INFLUXDB_INIT_BUCKET: "raw",
                DOCKER_INFLUXDB_INIT_RETENTION: "30d",
                DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: TOKEN,
            });
            const container = run.one(CONTAINER);
            const envs = container.inputs.envs as string[];
            const secretIndexes = container.secretInputs.map((p) => p.match(/^envs\[(\d+)\]$/)?.[1]).map(Number);
            assert.deepStrictEqual(secretIndexes.map((i) => envs[i].split("=")[0]).sort(), [
                "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN",
                "DOCKER_INFLUXDB_INIT_PASSWORD",
            ]);
            const passwords = run.byType(RANDOM_PASSWORD);
            assert.deepStrictEqual(passwords.map((p) => p.name).sort(), [
                "influxdb-admin-password",
                "influxdb-admin-token",
            ]);
            for (const p of passwords) {
                assert.strictEqual(p.inputs.special, false);
                assert.ok((p.inputs.length as number) >= 32);
            }
            assertNoLeak(run, PASSWORD, TOKEN);
        });

        it("defaults to the docs' organization and bucket and to infinite retention", async () => {
            const env = envOf(await runSettings({ platform: "docker" }));
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_ORG, "influxdata");
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_BUCKET, "default");
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_RETENTION, "0s");
        });

        it("uses an admin password and token from secret config, keeping them secret", async () => {
            const run = await runConfig({
                config: { platform: "docker" },
                secretConfig: {
                    influxdbAdminPassword: "pass-from-config-1",
                    influxdbAdminToken: "token-from-config-2",
                },
            });
            assert.strictEqual(run.byType(RANDOM_PASSWORD).length, 0, "nothing generated");
            const env = envOf(run);
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_PASSWORD, "pass-from-config-1");
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN, "token-from-config-2");
            const out = await resolveOutputs(run.result);
            assert.deepStrictEqual(out.adminToken, { value: "token-from-config-2", known: true, secret: true });
            // The UI login: the user in plain text, the password only as a secret.
            assert.deepStrictEqual(out.username, { value: "admin", known: true, secret: false });
            assert.deepStrictEqual(out.adminPassword, { value: "pass-from-config-1", known: true, secret: true });
            assertNoLeak(run, "pass-from-config-1", "token-from-config-2");
        });

        it("publishes 8086 on 127.0.0.1 by default, or the configured port and host", async () => {
            const byDefault = await runSettings({ platform: "docker" });
            assert.deepStrictEqual(byDefault.one(CONTAINER).inputs.ports, [
                { internal: 8086, external: 8086, ip: "127.0.0.1" },
            ]);
            const configured = await runConfig({
                config: { platform: "docker", influxdb: { port: 18086, host: "docker.lan", bindAddress: "0.0.0.0" } },
            });
            assert.deepStrictEqual(configured.one(CONTAINER).inputs.ports, [
                { internal: 8086, external: 18086, ip: "0.0.0.0" },
            ]);
            const out = await resolveOutputs(configured.result);
            assert.strictEqual(out.managementUrl.value, "http://docker.lan:18086");
            assert.strictEqual(
                out.internalUrl.value,
                "http://influxdb-test:8086",
                "inside the network: the container port",
            );
        });

        it("keeps data and config on named volumes", async () => {
            const run = await runSettings({ platform: "docker" });
            const data = run.one(VOLUME, "influxdb-data");
            const config = run.one(VOLUME, "influxdb-config");
            assert.strictEqual(data.inputs.name, "influxdb-test-data");
            assert.strictEqual(config.inputs.name, "influxdb-test-config");
            assert.deepStrictEqual(run.one(CONTAINER).inputs.volumes, [
                { volumeName: "influxdb-test-data", containerPath: "/var/lib/influxdb2" },
                { volumeName: "influxdb-test-config", containerPath: "/etc/influxdb2" },
            ]);
        });

        it("waits for a healthcheck on /health", async () => {
            const container = (await runSettings({ platform: "docker" })).one(CONTAINER);
            const healthcheck = container.inputs.healthcheck as Record<string, unknown>;
            assert.deepStrictEqual(healthcheck.tests, ["CMD", "curl", "-fsS", "http://localhost:8086/health"]);
            assert.ok(healthcheck.interval && healthcheck.retries && healthcheck.timeout);
            assert.strictEqual(container.inputs.wait, true);
            assert.strictEqual(container.inputs.waitTimeout, 120);
            const slow = (await runSettings({ platform: "docker", waitTimeout: 300 })).one(CONTAINER);
            assert.strictEqual(slow.inputs.waitTimeout, 300);
        });

        it("joins a stack-scoped user network as `influxdb-<stack>`, or a network passed in", async () => {
            const run = await runSettings({ platform: "docker" });
            const network = run.one(NETWORK);
            assert.strictEqual(network.inputs.name, "influxdb-test-network");
            assert.deepStrictEqual(run.one(CONTAINER).inputs.networksAdvanced, [
                { name: "influxdb-test-network", aliases: ["influxdb-test"] },
            ]);
            assert.strictEqual((await resolveOutputs(run.result)).networkName.value, "influxdb-test-network");

            const shared = await runSettings({ platform: "docker", network: "flagsmith-shared" });
            assert.strictEqual(shared.byType(NETWORK).length, 0, "no network created");
            assert.deepStrictEqual(shared.one(CONTAINER).inputs.networksAdvanced, [
                { name: "flagsmith-shared", aliases: ["influxdb-test"] },
            ]);
        });

        it("carries the stack in every Docker name, so two stacks share a host", async () => {
            const names = async (stack: string, port: number) => {
                const run = await runSettings({ platform: "docker", port }, { stack });
                return [
                    run.one(CONTAINER).inputs.name,
                    ...run.byType(VOLUME).map((v) => v.inputs.name),
                    run.one(NETWORK).inputs.name,
                    (run.one(CONTAINER).inputs.ports as { external: number }[])[0].external,
                ];
            };
            const dev = await names("dev", 8086);
            const staging = await names("staging", 8087);
            assert.deepStrictEqual(dev, [
                "influxdb-dev",
                "influxdb-dev-data",
                "influxdb-dev-config",
                "influxdb-dev-network",
                8086,
            ]);
            for (let i = 0; i < dev.length; i++) {
                assert.notStrictEqual(dev[i], staging[i]);
            }
        });

        it("resolves the org ID after the container is healthy, deleted with the data volume", async () => {
            const run = await runSettings({ platform: "docker" });
            const component = run.one("flagsmith:influxdb:DockerInfluxDB");
            const org = run.one(ORGANIZATION);
            assert.strictEqual(org.parent, component.urn);
            assert.deepStrictEqual(org.dependsOn, [run.one(CONTAINER).urn]);
            assert.strictEqual(org.options.deletedWith, run.one(VOLUME, "influxdb-data").urn);
            const connection = org.inputs.connection as Record<string, unknown>;
            assert.strictEqual(connection.url, "http://localhost:8086");
            assert.strictEqual(connection.token, TOKEN);
            assert.ok(
                org.secretInputs.some((p) => p.startsWith("connection")),
                "the token is sent as a secret",
            );
            assert.strictEqual(org.inputs.name, "influxdata");
            const connectionOut = run.result as InfluxConnection;
            assert.strictEqual(connectionOut.server, (run.result as DockerInfluxDB).server);
            assert.deepStrictEqual(connectionOut.readiness, [(run.result as DockerInfluxDB).container]);
            await assertConnection(connectionOut, {
                internalUrl: "http://influxdb-test:8086",
                managementUrl: "http://localhost:8086",
                org: "influxdata",
                orgId: ORG_ID,
                adminToken: TOKEN,
                initialBucket: "default",
            });
        });

        it("protects the volumes and credentials only when configured, and retains nothing by default", async () => {
            const byDefault = await runSettings({ platform: "docker" });
            for (const r of [...byDefault.byType(VOLUME), ...byDefault.byType(RANDOM_PASSWORD)]) {
                assert.strictEqual(r.options.protect, false, r.name);
            }
            assert.ok(
                byDefault.resources.every((r) => r.options.retainOnDelete !== true),
                "no retainOnDelete",
            );

            const longLived = await runConfig({
                stack: "prod",
                config: { platform: "docker", influxdb: { protectData: true, retainDataOnDelete: true } },
            });
            for (const r of [...longLived.byType(VOLUME), ...longLived.byType(RANDOM_PASSWORD)]) {
                assert.strictEqual(r.options.protect, true, r.name);
            }
            for (const r of longLived.byType(VOLUME)) {
                assert.strictEqual(r.options.retainOnDelete, true, r.name);
            }
            assert.notStrictEqual(longLived.one(CONTAINER).options.protect, true, "the container is replaceable");
        });

        it("previews with the org ID unknown and nothing leaked", async () => {
            const run = await runSettings({ platform: "docker" }, { preview: true });
            const out = await resolveOutputs(run.result);
            assert.strictEqual(out.orgId.known, false);
            assert.strictEqual(out.adminToken.secret, true);
            assert.strictEqual(out.internalUrl.value, "http://influxdb-test:8086");
        });
    });

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

    describe("ExternalInfluxDB", () => {
        it("deploys nothing, takes the token from secret config and resolves the org ID", async () => {
            const run = await runConfig({
                config: {
                    platform: "external",
                    influxdb: { url: "http://influxdb.monitoring:8086", org: "analytics", bucket: "flagsmith" },
                },
                secretConfig: { influxdbToken: "external-token-9" },
            });
            assert.ok(run.result instanceof ExternalInfluxDB);
            assert.deepStrictEqual(run.resources.map((r) => r.type).sort(), [
                "flagsmith:influxdb:ExternalInfluxDB",
                ORGANIZATION,
                ORGANIZATION_PROBE,
            ]);
            // The probe is read (Resource.get), by the organization's name, at every preview and update.
            const probe = run.one(ORGANIZATION_PROBE);
            assert.strictEqual(probe.id, "analytics");
            assert.deepStrictEqual(probe.inputs.connection, {
                url: "http://influxdb.monitoring:8086",
                token: "external-token-9",
            });
            const org = run.one(ORGANIZATION);
            assert.deepStrictEqual(org.inputs.connection, {
                url: "http://influxdb.monitoring:8086",
                token: "external-token-9",
            });
            assert.deepStrictEqual(org.dependsOn, []);
            assert.strictEqual(org.options.deletedWith, undefined);
            const ext = run.result as ExternalInfluxDB;
            assert.strictEqual(ext.server, undefined);
            assert.deepStrictEqual(ext.readiness, []);
            await assertConnection(ext, {
                internalUrl: "http://influxdb.monitoring:8086",
                managementUrl: "http://influxdb.monitoring:8086",
                org: "analytics",
                orgId: ORG_ID,
                adminToken: "external-token-9",
                initialBucket: "flagsmith",
            });
            assertNoLeak(run, "external-token-9");
        });

        it("uses a separate management URL when given", async () => {
            const run = await runSettings({
                platform: "external",
                url: "http://influxdb.monitoring.svc:8086",
                managementUrl: "https://influx.example.com",
                org: "o",
                bucket: "b",
                token: "t0ken",
            });
            const out = await resolveOutputs(run.result);
            assert.strictEqual(out.internalUrl.value, "http://influxdb.monitoring.svc:8086");
            assert.strictEqual(out.managementUrl.value, "https://influx.example.com");
            assert.deepStrictEqual(
                out.adminToken,
                { value: "t0ken", known: true, secret: true },
                "a plain token is made secret",
            );
        });

        it("reads the token from an existing Kubernetes Secret, decoded and secret", async () => {
            const secretMock = (a: MockArgs) =>
                a.id === "monitoring/influxdb-auth"
                    ? { data: { "admin-token": Buffer.from("from-k8s-secret-5").toString("base64") } }
                    : {};
            const run = await runSettings(
                {
                    platform: "external",
                    url: "http://influxdb.monitoring:8086",
                    org: "o",
                    bucket: "b",
                    tokenFromExistingSecret: { name: "influxdb-auth", key: "admin-token", namespace: "monitoring" },
                },
                { mocks: { [SECRET]: secretMock } },
            );
            const read = run.one(SECRET);
            assert.strictEqual(read.read, true, "read, not created");
            assert.strictEqual(read.id, "monitoring/influxdb-auth");
            const out = await resolveOutputs(run.result);
            assert.deepStrictEqual(out.adminToken, { value: "from-k8s-secret-5", known: true, secret: true });
            assert.strictEqual(
                (run.one(ORGANIZATION).inputs.connection as { token: string }).token,
                "from-k8s-secret-5",
            );
            assertNoLeak(run, "from-k8s-secret-5");

            await assert.rejects(
                runSettings(
                    {
                        platform: "external",
                        url: "http://influxdb.monitoring:8086",
                        org: "o",
                        bucket: "b",
                        tokenFromExistingSecret: { name: "influxdb-auth", key: "token", namespace: "monitoring" },
                    },
                    { mocks: { [SECRET]: secretMock } },
                ),
                (e: unknown) => {
                    // reported against the Secret, without a stack trace
                    assert.ok(pulumi.ResourceError.isInstance(e) && e.hideStack === true, String(e));
                    assert.ok(e.resource instanceof k8s.core.v1.Secret, "the error names the Secret resource");
                    assert.match(
                        e.message,
                        /Secret monitoring\/influxdb-auth has no key "token" \(keys: admin-token\)/,
                    );
                    return true;
                },
            );
        });

        it("needs exactly one token source", async () => {
            const base = { platform: "external", url: "http://i:8086", org: "o", bucket: "b" };
            assert.throws(() => parseInfluxSettings(base), /set exactly one of the secret config influxdbToken/);
            assert.throws(
                () =>
                    parseInfluxSettings({
                        ...base,
                        token: "t",
                        tokenFromExistingSecret: { name: "n", key: "k", namespace: "ns" },
                    }),
                /set exactly one/,
            );
            await assert.rejects(
                runProgram(() => new ExternalInfluxDB("influxdb", { url: "http://i:8086", org: "o", bucket: "b" }), {
                    mocks: mocks(),
                }),
                /set exactly one of token .* and tokenFromExistingSecret/,
            );
        });
    });

    describe("createInfluxDB and settings", () => {
        it("chooses the implementation from the platform, each an InfluxConnection", async () => {
            const settings = [
                { platform: "docker" },
                { platform: "kubernetes" },
                { platform: "external", url: "http://i:8086", org: "o", bucket: "b", token: "t" },
            ];
            const types = [];
            for (const s of settings) {
                const run = await runSettings(s);
                const components = run.resources.filter((r) => r.type.startsWith("flagsmith:influxdb:"));
                assert.strictEqual(components.length, 1);
                types.push(components[0].type);
                const out = await resolveOutputs(run.result);
                for (const key of ["internalUrl", "managementUrl", "org", "orgId", "adminToken", "initialBucket"]) {
                    assert.ok(out[key]?.known, `${s.platform}: ${key}`);
                }
                assert.deepStrictEqual(Object.keys(components[0].outputs).includes("orgId"), true, "registerOutputs");
            }
            assert.deepStrictEqual(types, [
                "flagsmith:influxdb:DockerInfluxDB",
                "flagsmith:influxdb:KubernetesInfluxDB",
                "flagsmith:influxdb:ExternalInfluxDB",
            ]);
        });

        it("defaults the platform to docker and reads secrets only from secret config", async () => {
            const run = await runConfig({});
            assert.ok(run.result instanceof DockerInfluxDB);
            await assert.rejects(
                runConfig({
                    config: {
                        platform: "external",
                        influxdb: { url: "http://i:8086", org: "o", bucket: "b", token: "plain" },
                    },
                }),
                /influxdb\.token: secrets must not be in plain config; .*pulumi config set --secret influxdbToken/,
            );
        });

        it("applies defaults under the influxdb config object", async () => {
            const fromDefaults = await runProgram(
                () => createInfluxDB("influxdb", influxSettingsFromConfig(undefined, { bucket: "flagsmith_raw" })),
                { config: { platform: "docker" }, mocks: mocks() },
            );
            assert.strictEqual(envOf(fromDefaults).DOCKER_INFLUXDB_INIT_BUCKET, "flagsmith_raw");
            const overridden = await runProgram(
                () => createInfluxDB("influxdb", influxSettingsFromConfig(undefined, { bucket: "flagsmith_raw" })),
                { config: { platform: "docker", influxdb: { bucket: "own" } }, mocks: mocks() },
            );
            assert.strictEqual(envOf(overridden).DOCKER_INFLUXDB_INIT_BUCKET, "own");
        });

        it("parses valid settings, keeping secrets secret", async () => {
            const settings = parseInfluxSettings({
                platform: "docker",
                port: "8087",
                protectData: true,
                retention: "1h30m",
                adminToken: "plain-token",
            });
            assert.strictEqual(settings.platform, "docker");
            if (settings.platform !== "docker") {
                return;
            }
            assert.strictEqual(settings.port, 8087, "numbers from string config");
            assert.strictEqual(settings.protectData, true);
            assert.ok(pulumi.Output.isInstance(settings.adminToken));
            assert.strictEqual(await pulumi.isSecret(settings.adminToken as pulumi.Output<string>), true);
            assert.ok(!("bucket" in settings), "unset settings stay unset");
        });

        const invalid: [string, Record<string, unknown>, RegExp][] = [
            [
                "unknown platform",
                { platform: "podman" },
                /platform: unknown platform "podman"; use one of docker, kubernetes, external\. Fix: pulumi config set platform/,
            ],
            ["missing platform", {}, /unknown platform undefined/],
            [
                "port 0",
                { platform: "docker", port: 0 },
                /influxdb\.port: port must be an integer between 1 and 65535, got 0\. Fix: pulumi config set --path influxdb\.port/,
            ],
            [
                "port 70000",
                { platform: "docker", port: 70000 },
                /influxdb\.port: port must be an integer between 1 and 65535, got 70000/,
            ],
            ["port not a number", { platform: "docker", port: "http" }, /influxdb\.port: must be a number, got "http"/],
            ["empty org", { platform: "docker", org: " " }, /influxdb\.org: organization must be a non-empty string/],
            [
                "empty bucket",
                { platform: "kubernetes", bucket: "" },
                /influxdb\.bucket: bucket must be a non-empty string/,
            ],
            [
                "retention below 1h",
                { platform: "docker", retention: "30m" },
                /influxdb\.retention: retention "30m" is below InfluxDB's minimum of 1h/,
            ],
            [
                "retention not a duration",
                { platform: "docker", retention: "a month" },
                /influxdb\.retention: "a month" is not a duration/,
            ],
            [
                "unknown key",
                { platform: "docker", prot: 1 },
                /influxdb\.prot: unknown setting for platform docker; known: .*port/,
            ],
            [
                "key of another platform",
                { platform: "docker", namespace: "x" },
                /influxdb\.namespace: unknown setting for platform docker/,
            ],
            [
                "bad wait timeout",
                { platform: "docker", waitTimeout: -5 },
                /influxdb\.waitTimeout: must be a positive whole number/,
            ],
            [
                "short password",
                { platform: "docker", adminPassword: "short" },
                /influxdb\.adminPassword: InfluxDB needs a password of at least 8 characters/,
            ],
            [
                "bad protectData",
                { platform: "docker", protectData: "yes" },
                /influxdb\.protectData: must be true or false/,
            ],
            [
                "quoted protectData",
                { platform: "docker", protectData: "true" },
                /influxdb\.protectData: "true" is a quoted string, not a boolean; write it unquoted .* pulumi config set --path influxdb\.protectData true/,
            ],
            [
                "bindAddress not an IP",
                { platform: "docker", bindAddress: "docker.lan" },
                /influxdb\.bindAddress: "docker\.lan" is not an IP address.*Fix: pulumi config set --path influxdb\.bindAddress/,
            ],
            [
                "bad namespace",
                { platform: "kubernetes", namespace: "Influx_DB" },
                /influxdb\.namespace: "Influx_DB" must be a lower-case DNS label/,
            ],
            [
                "bad pull policy",
                { platform: "kubernetes", image: { pullPolicy: "Sometimes" } },
                /influxdb\.image\.pullPolicy: must be Always, IfNotPresent or Never/,
            ],
            [
                "unknown image key",
                { platform: "kubernetes", image: { imagePullPolicy: "Always" } },
                /influxdb\.image\.imagePullPolicy: unknown setting; known: repository, tag, pullPolicy, pullSecrets/,
            ],
            [
                "bad size",
                { platform: "kubernetes", persistence: { size: "20 gigs" } },
                /influxdb\.persistence\.size: "20 gigs" is not a Kubernetes quantity/,
            ],
            [
                "bad management URL",
                { platform: "kubernetes", managementUrl: "localhost:8086" },
                /influxdb\.managementUrl: "localhost:8086" is not an http\(s\) URL/,
            ],
            [
                "external without url",
                { platform: "external", org: "o", bucket: "b", token: "t" },
                /influxdb\.url: is required/,
            ],
            [
                "external bad url",
                { platform: "external", url: "influxdb:8086", org: "o", bucket: "b", token: "t" },
                /influxdb\.url: "influxdb:8086" is not an http\(s\) URL/,
            ],
        ];
        for (const [title, raw, message] of invalid) {
            it(`rejects ${title}, naming the setting and the fix`, () => {
                assert.throws(
                    () => parseInfluxSettings(raw),
                    (e: Error) => e instanceof InfluxSettingsError && message.test(e.message),
                );
            });
        }

        it("lists every problem at once", () => {
            assert.throws(
                () => parseInfluxSettings({ platform: "docker", port: 0, org: "", retention: "5m" }),
                (e: Error) =>
                    e instanceof InfluxSettingsError &&
                    e.problems.length === 3 &&
                    ["influxdb.port:", "influxdb.org:", "influxdb.retention:"].every((k) =>
                        e.problems.some((p) => p.startsWith(k)),
                    ),
            );
        });

        it("rejects invalid config when the program runs", async () => {
            await assert.rejects(
                runConfig({ config: { platform: "docker", influxdb: { port: 99999 } } }),
                /Invalid InfluxDB settings[\s\S]*influxdb\.port/,
            );
        });

        it("parses retention durations", () => {
            assert.strictEqual(parseRetention("0s", "r"), 0);
            assert.strictEqual(parseRetention("infinite", "r"), 0);
            assert.strictEqual(parseRetention("1h", "r"), 3600);
            assert.strictEqual(parseRetention("1h30m", "r"), 5400);
            assert.strictEqual(parseRetention("30d", "r"), 30 * 86400);
            assert.strictEqual(parseRetention("2w", "r"), 14 * 86400);
            assert.throws(() => parseRetention("59m", "r"), /below InfluxDB's minimum of 1h/);
            assert.throws(() => parseRetention("1x", "r"), /not a duration/);
        });
    });

    describe("chart values validation", () => {
        const keys = loadChartKeys(VALUES_FILE);

        it("reads live and commented-out keys of the influxdb2 values.yaml", () => {
            const has = (path: string) => {
                let node = keys;
                for (const part of path.split(".")) {
                    const child = node.children.get(part);
                    if (!child) {
                        return false;
                    }
                    node = child;
                }
                return true;
            };
            for (const path of [
                "image.repository",
                "image.tag",
                "image.pullPolicy",
                "image.pullSecrets", // commented out
                "nameOverride",
                "adminUser.organization",
                "adminUser.existingSecret", // commented out
                "persistence.enabled",
                "persistence.size",
                "persistence.storageClass", // commented out
                "service.port",
                "ingress.className", // commented out
                "pdb.maxUnavailable", // commented out
                "volumes", // commented-out list
            ]) {
                assert.ok(has(path), path);
            }
            for (const path of ["image.imagePullPolicy", "adminUser.retention", "init.sh", "rbac"]) {
                assert.ok(!has(path), path);
            }
            assert.strictEqual(keys.children.get("resources")?.open, true, "free-form below resources: {}");
            assert.strictEqual(keys.children.get("tolerations")?.open, true);
            assert.strictEqual(keys.children.get("adminUser")?.open, false);
        });

        it("accepts free-form values below empty maps and lists, and rejects unknown keys with a suggestion", () => {
            assert.deepStrictEqual(
                findUnknownChartKeys(
                    {
                        resources: { limits: { "nvidia.com/gpu": 1 } },
                        tolerations: [{ anything: true }],
                        env: { FOO: "bar" },
                        image: { tag: pulumi.output("2.7.12") },
                        adminUser: pulumi.output({ whatever: 1 }),
                    },
                    keys,
                ),
                [],
            );
            assert.deepStrictEqual(findUnknownChartKeys({ persistence: { sise: "1Gi" }, nodeSelectors: {} }, keys), [
                { path: "persistence.sise", suggestion: "persistence.size" },
                { path: "nodeSelectors", suggestion: "nodeSelector" },
            ]);
            assert.throws(
                () => validateChartValues({ persistence: { sise: "1Gi" } }, VALUES_FILE),
                (e: Error) =>
                    e.message.includes('"persistence.sise" (did you mean "persistence.size"?)') &&
                    e.message.includes(VALUES_FILE),
            );
            assert.throws(
                () => validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, VALUES_FILE),
                /"initScripts\.scripts\.x\.sh"/,
            );
            validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, VALUES_FILE, {
                freeForm: ["initScripts.scripts"],
            });
        });

        it("parses block scalars, lists at the key's indentation and quoted keys", () => {
            const tree = chartValueKeys(
                [
                    "a:",
                    "  script: |",
                    "    not: a key",
                    "  b: 1",
                    "list:",
                    "- name: x",
                    "  inner: y",
                    '"quoted.key": 1',
                    "nothing:",
                    "## prose: not a key",
                    "# commented:",
                    "#   child: 1",
                ].join("\n"),
            );
            assert.deepStrictEqual([...tree.children.keys()], ["a", "list", "quoted.key", "nothing", "commented"]);
            assert.deepStrictEqual([...(tree.children.get("a")?.children.keys() ?? [])], ["script", "b"]);
            assert.strictEqual(tree.children.get("list")?.open, true);
            assert.strictEqual(tree.children.get("nothing")?.open, true, "null: free-form");
            assert.deepStrictEqual([...(tree.children.get("commented")?.children.keys() ?? [])], ["child"]);
        });
    });
});
