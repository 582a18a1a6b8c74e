// DockerInfluxDB under mocks (components/influxdb-docker.ts), behind the one InfluxConnection: what it registers,
// with which values, and that secrets stay secret. Helpers shared with the other InfluxDB specs: influxdb-helpers.ts.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { InfluxConnection } from "../../components/connection";
import { DEFAULT_DOCKER_IMAGE, DockerInfluxDB } from "../../components/influxdb-docker";
import { InfluxSettingsError, parseInfluxSettings } from "../../components/settings/influxdb";
import { resolveOutputs, runProgram } from "../harness/mocks";
import {
    CONTAINER,
    REMOTE_IMAGE,
    RANDOM_PASSWORD,
    ORGANIZATION,
    ORG_ID,
    PASSWORD,
    TOKEN,
    mocks,
    runSettings,
    runConfig,
    envOf,
    assertConnection,
    assertNoLeak,
} from "./influxdb-helpers";

const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";

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
