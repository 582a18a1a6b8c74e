// DockerFlagsmith under mocks (components/flagsmith-docker.ts): what it registers, in which order, with which
// values, and that no secret reaches an input in plain text. Helpers shared with flagsmith-kubernetes.test.ts:
// flagsmith-helpers.ts.
import * as assert from "assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
    allowedHostsValue,
    assertExtraEnv,
    assertMigrationSucceeded,
    assertPinnedImage,
    assertPort,
    createSuperuserCommand,
    DEFAULT_FLAGSMITH_IMAGE,
    DEFAULT_POSTGRES_IMAGE,
    DockerFlagsmith,
    DockerFlagsmithArgs,
    healthCheckHost,
    pinnedImageProblem,
    publishedUrl,
} from "../../components/flagsmith-docker";
import { MockRun, RecordedResource, resolveOutputs, runProgram } from "../harness/mocks";
import {
    TOKEN,
    INFLUX_URL,
    ORG,
    BUCKET,
    CONTAINER,
    REMOTE_IMAGE,
    RANDOM_PASSWORD,
    influxEnv,
    generated,
    mocks,
} from "./flagsmith-helpers";

const VOLUME = "docker:index/volume:Volume";

function runDocker(
    args: Partial<DockerFlagsmithArgs> = {},
    options: { stack?: string; exitCode?: number; preview?: boolean } = {},
) {
    return runProgram(
        () =>
            new DockerFlagsmith("fs", {
                influxEnv: influxEnv(),
                network: "influxdb-net-test",
                ...args,
            }),
        { stack: options.stack ?? "test", preview: options.preview, mocks: mocks(options.exitCode) },
    );
}

function container(run: MockRun<unknown>, role: string): RecordedResource {
    return run.one(CONTAINER, `fs-${role}`);
}

/** `envs` of a container as a map. */
function envMap(r: RecordedResource): Map<string, string> {
    const envs = r.inputs.envs as string[];
    return new Map(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("DockerFlagsmith", () => {
    it("pulls pinned images and runs every container from them", async () => {
        const run = await runDocker();
        const images = run.byType(REMOTE_IMAGE).map((r) => r.inputs.name);
        assert.deepStrictEqual(images.sort(), [DEFAULT_FLAGSMITH_IMAGE, DEFAULT_POSTGRES_IMAGE].sort());
        assert.match(DEFAULT_FLAGSMITH_IMAGE, /^flagsmith\/flagsmith:2\.227\.0$/);
        assert.match(DEFAULT_POSTGRES_IMAGE, /^postgres:15\.\d+-alpine$/);
        for (const r of run.byType(REMOTE_IMAGE)) {
            assert.strictEqual(r.inputs.keepLocally, true, `${r.name} keeps the image on destroy`);
        }
        assert.strictEqual(container(run, "postgres").inputs.image, "sha256:fs-postgres-image");
        for (const role of ["migrate", "api", "task-processor"]) {
            assert.strictEqual(container(run, role).inputs.image, "sha256:fs-image", role);
        }
    });

    it("accepts a configured image and rejects unpinned ones", async () => {
        const run = await runDocker({ image: "flagsmith/flagsmith:2.228.1", postgresImage: "postgres:15.14-alpine" });
        const images = run.byType(REMOTE_IMAGE).map((r) => r.inputs.name);
        assert.deepStrictEqual(images.sort(), ["flagsmith/flagsmith:2.228.1", "postgres:15.14-alpine"]);
        for (const bad of ["flagsmith/flagsmith:latest", "flagsmith/flagsmith", "localhost:5000/flagsmith"]) {
            await assert.rejects(runDocker({ image: bad }), /must be pinned/, bad);
            assert.throws(() => assertPinnedImage(bad, "image"), /must be pinned/);
        }
        assert.strictEqual(
            assertPinnedImage("localhost:5000/flagsmith:2.227.0", "image"),
            "localhost:5000/flagsmith:2.227.0",
        );
        const digest = `flagsmith/flagsmith@sha256:${"a".repeat(64)}`;
        assert.strictEqual(assertPinnedImage(digest, "image"), digest);
        assert.strictEqual(pinnedImageProblem(digest), undefined);
        assert.strictEqual(
            pinnedImageProblem("flagsmith/flagsmith:latest"),
            '"flagsmith/flagsmith:latest" must be pinned to a version tag (not "latest") or a digest',
        );
        await assert.rejects(runDocker({ postgresImage: "postgres:latest" }), /postgresImage "postgres:latest"/);
    });

    it("runs Postgres on a named volume with a health check, a wait and a generated password", async () => {
        const run = await runDocker();
        const volume = run.one(VOLUME);
        assert.strictEqual(volume.inputs.name, "flagsmith-postgres-data-test");
        assert.strictEqual(volume.options.protect, false);
        const pg = container(run, "postgres");
        assert.strictEqual(pg.inputs.name, "flagsmith-postgres-test");
        assert.deepStrictEqual(pg.inputs.volumes, [
            { volumeName: "flagsmith-postgres-data-test", containerPath: "/var/lib/postgresql/data" },
        ]);
        const hc = pg.inputs.healthcheck as { tests: string[] };
        assert.deepStrictEqual(hc.tests, ["CMD-SHELL", "pg_isready -d flagsmith -U postgres"]);
        assert.strictEqual(pg.inputs.wait, true);
        const env = envMap(pg);
        assert.strictEqual(env.get("POSTGRES_PASSWORD"), generated("fs-postgres-password"));
        assert.strictEqual(env.get("POSTGRES_DB"), "flagsmith");
        assert.ok(pg.secretInputs.includes("envs"), "Postgres envs are secret");
        const pw = run.one(RANDOM_PASSWORD, "fs-postgres-password");
        assert.strictEqual(pw.inputs.special, false, "URL-safe password");
        assert.ok((pw.inputs.length as number) >= 32);
    });

    it("protects the data volume when asked", async () => {
        const run = await runDocker({ protectData: true });
        assert.strictEqual(run.one(VOLUME).options.protect, true);
    });

    it("runs migrate to completion after Postgres, then serve and the task processor", async () => {
        const run = await runDocker();
        const pg = container(run, "postgres");
        const migrate = container(run, "migrate");
        const api = container(run, "api");
        const tp = container(run, "task-processor");
        assert.deepStrictEqual(migrate.inputs.command, ["migrate"]);
        assert.strictEqual(migrate.inputs.attach, true, "create waits for migrate to exit");
        assert.strictEqual(migrate.inputs.mustRun, false, "an exited migrate container is not restarted");
        assert.deepStrictEqual(migrate.inputs.healthcheck, { tests: ["NONE"] }, "no health check on a one-shot job");
        assert.ok(migrate.dependsOn.includes(pg.urn), "migrate waits for Postgres");
        assert.deepStrictEqual(api.inputs.command, ["serve"]);
        assert.deepStrictEqual(tp.inputs.command, ["run-task-processor"]);
        for (const r of [api, tp]) {
            assert.ok(r.dependsOn.includes(migrate.urn), `${r.name} waits for migrate`);
            assert.ok(r.dependencies.includes(migrate.urn), `${r.name} depends on migrate`);
            assert.deepStrictEqual(r.inputs.labels, [{ label: "flagsmith.migrate-container-id", value: migrate.id }]);
            assert.strictEqual(r.inputs.wait, true);
            assert.strictEqual(r.options.deleteBeforeReplace, true);
        }
        const apiHc = api.inputs.healthcheck as { tests: string[] };
        assert.strictEqual(apiHc.tests[0], "CMD");
        assert.match(apiHc.tests.join(" "), /\/health\/readiness\//);
    });

    it("fails the deployment when migrations exit non-zero", async () => {
        // The failed check rejects the label of `serve` and the task processor, so neither is created; the run
        // reports that error (once per Output it flowed into).
        await assert.rejects(runDocker({}, { exitCode: 3 }), (err: Error) => {
            const messages = (err instanceof AggregateError ? err.errors : [err]).map((e: Error) => e.message);
            assert.ok(
                messages.some((m) => /migrations failed: container flagsmith-migrate-test exited with code 3/.test(m)),
                messages.slice(0, 3).join("\n"),
            );
            return true;
        });
        assert.throws(() => assertMigrationSucceeded(undefined, "m"), /no exit code/);
        // Reported once, without a stack trace: against the migrate container when it is known.
        assert.throws(
            () => assertMigrationSucceeded(2, "m", "urn:x", new pulumi.ComponentResource("test:x:X", "migrate")),
            (e: unknown) => e instanceof pulumi.ResourceError && (e as { hideStack?: boolean }).hideStack === true,
        );
        assert.throws(
            () => assertMigrationSucceeded(2, "m"),
            (e: unknown) => e instanceof pulumi.RunError,
        );
        assert.doesNotThrow(() => assertMigrationSucceeded(0, "m"));
    });

    it("previews without knowing the migration's outcome", async () => {
        const run = await runDocker({}, { preview: true });
        for (const role of ["api", "task-processor"]) {
            const r = container(run, role);
            assert.ok(
                r.unknownInputs.includes("labels[0].value"),
                `${role}: label unknown until migrate ran (unknown: ${r.unknownInputs.join(", ")}; labels: ${JSON.stringify(r.inputs.labels)})`,
            );
        }
    });

    it("publishes the API on 127.0.0.1:8000 by default, or on the configured port and address", async () => {
        let run = await runDocker();
        const local = { internal: 8000, external: 8000, ip: "127.0.0.1" };
        assert.deepStrictEqual(container(run, "api").inputs.ports, [local]);
        assert.strictEqual((await resolveOutputs(run.result)).apiUrl.value, "http://localhost:8000");
        run = await runDocker({ apiPort: 18080 });
        assert.deepStrictEqual(container(run, "api").inputs.ports, [{ ...local, external: 18080 }]);
        assert.strictEqual((await resolveOutputs(run.result)).apiUrl.value, "http://localhost:18080");
        run = await runDocker({ bindAddress: "192.168.1.20" });
        assert.deepStrictEqual(container(run, "api").inputs.ports, [{ ...local, ip: "192.168.1.20" }]);
        assert.strictEqual((await resolveOutputs(run.result)).apiUrl.value, "http://192.168.1.20:8000");
        await assert.rejects(runDocker({ bindAddress: "localhost" }), /bindAddress: "localhost" is not an IP address/);
        assert.strictEqual(publishedUrl("0.0.0.0", 8000), "http://localhost:8000");
        assert.strictEqual(publishedUrl("::1", 8000), "http://localhost:8000");
        assert.strictEqual(publishedUrl("fd00::5", 8000), "http://[fd00::5]:8000");
        assert.strictEqual(container(run, "task-processor").inputs.ports, undefined, "only the API is published");
        for (const bad of [0, 65536, 80.5]) {
            await assert.rejects(runDocker({ apiPort: bad }), /apiPort must be an integer in 1\.\.65535/);
        }
        assert.strictEqual(assertPort(65535, "p"), 65535);
    });

    it("gives the API and the task processor the InfluxDB, database, secret key, hosts and task settings", async () => {
        const run = await runDocker();
        const expected: Record<string, string> = {
            INFLUXDB_URL: INFLUX_URL,
            INFLUXDB_TOKEN: TOKEN,
            INFLUXDB_ORG: ORG,
            INFLUXDB_BUCKET: BUCKET,
            DATABASE_URL: `postgresql://postgres:${generated("fs-postgres-password")}@flagsmith-postgres-test:5432/flagsmith`,
            DJANGO_SECRET_KEY: generated("fs-django-secret-key"),
            DJANGO_ALLOWED_HOSTS: "*",
            TASK_RUN_METHOD: "TASK_PROCESSOR",
        };
        for (const role of ["api", "task-processor", "migrate"]) {
            const env = envMap(container(run, role));
            for (const [k, v] of Object.entries(expected)) {
                assert.strictEqual(env.get(k), v, `${role}: ${k}`);
            }
            assert.ok(!env.has("USE_POSTGRES_FOR_ANALYTICS"), `${role} must not set USE_POSTGRES_FOR_ANALYTICS`);
            assert.strictEqual(env.size, Object.keys(expected).length, `${role}: no other variables`);
        }
        // The Postgres container is reachable under the host name DATABASE_URL uses.
        const pgNet = container(run, "postgres").inputs.networksAdvanced as { aliases: string[] }[];
        assert.deepStrictEqual(pgNet[0].aliases, ["flagsmith-postgres-test"]);
    });

    it("passes allowed hosts and extra environment, but never USE_POSTGRES_FOR_ANALYTICS", async () => {
        const run = await runDocker({
            allowedHosts: ["flagsmith.example.com", ".example.org"],
            extraEnv: { ENABLE_ADMIN_ACCESS_USER_PASS: "true" },
        });
        for (const role of ["api", "task-processor"]) {
            const env = envMap(container(run, role));
            assert.strictEqual(env.get("DJANGO_ALLOWED_HOSTS"), "flagsmith.example.com,.example.org");
            assert.strictEqual(env.get("ENABLE_ADMIN_ACCESS_USER_PASS"), "true");
        }
        // The health check sends a Host header Django accepts.
        const hc = container(run, "api").inputs.healthcheck as { tests: string[] };
        assert.match(hc.tests[3], /"Host": "flagsmith\.example\.com"/);
        assert.strictEqual(healthCheckHost(["*"]), "localhost");
        assert.strictEqual(healthCheckHost([".example.org"]), "example.org");
        await assert.rejects(
            runDocker({ extraEnv: { USE_POSTGRES_FOR_ANALYTICS: "true" } }),
            /must not set USE_POSTGRES_FOR_ANALYTICS/,
        );
        await assert.rejects(runDocker({ extraEnv: { INFLUXDB_TOKEN: "x" } }), /must not set INFLUXDB_TOKEN/);
        assert.throws(() => assertExtraEnv({ "BAD-NAME": "x" }), /not a valid environment variable name/);
        assert.throws(() => allowedHostsValue([]), /must not be empty/);
        assert.throws(() => allowedHostsValue(["a,b"]), /without commas/);
    });

    it("puts every container on the given network (name or docker.Network)", async () => {
        let run = await runDocker();
        for (const r of run.byType(CONTAINER)) {
            const nets = r.inputs.networksAdvanced as { name: string }[];
            assert.deepStrictEqual(
                nets.map((n) => n.name),
                ["influxdb-net-test"],
                r.name,
            );
        }
        run = await runProgram(
            () => {
                const network = new docker.Network("influx-net", { name: "influxdb-test" });
                return new DockerFlagsmith("fs", { influxEnv: influxEnv(), network });
            },
            { mocks: mocks() },
        );
        const network = run.one("docker:index/network:Network");
        for (const r of run.byType(CONTAINER)) {
            const nets = r.inputs.networksAdvanced as { name: string }[];
            assert.deepStrictEqual(
                nets.map((n) => n.name),
                ["influxdb-test"],
            );
            assert.ok(r.dependencies.includes(network.urn), `${r.name} depends on the network`);
        }
    });

    it("keeps the token, the database password and the secret key out of every input and output", async () => {
        const run = await runDocker();
        for (const secret of [TOKEN, generated("fs-postgres-password"), generated("fs-django-secret-key")]) {
            assert.deepStrictEqual(run.plaintextOccurrences(secret), [], secret);
        }
        for (const r of run.byType(CONTAINER)) {
            assert.ok(r.secretInputs.includes("envs"), `${r.name}: envs secret`);
        }
    });

    it("carries the stack in every Docker name", async () => {
        const run = await runDocker({}, { stack: "staging" });
        const names = run.byType(CONTAINER).map((r) => r.inputs.name);
        assert.deepStrictEqual(names.sort(), [
            "flagsmith-api-staging",
            "flagsmith-migrate-staging",
            "flagsmith-postgres-staging",
            "flagsmith-task-processor-staging",
        ]);
        assert.strictEqual(run.one(VOLUME).inputs.name, "flagsmith-postgres-data-staging");
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.apiContainerName.value, "flagsmith-api-staging");
        assert.strictEqual(out.taskProcessorContainerName.value, "flagsmith-task-processor-staging");
        // The first user is created in the API container, by the name it really has.
        assert.strictEqual(
            out.createSuperuserCommand.value,
            "docker exec -it flagsmith-api-staging python manage.py createsuperuser",
        );
        assert.strictEqual(createSuperuserCommand("c"), "docker exec -it c python manage.py createsuperuser");
        await assert.rejects(runDocker({ nameSuffix: "bad/suffix" }), /name suffix "bad\/suffix"/);
    });
});
