// Flagsmith components under mocks: what DockerFlagsmith and KubernetesFlagsmith register, in which order,
// with which values, and that no secret reaches an input in plain text.
import * as assert from "assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FlagsmithInfluxEnv } from "../../components/connection";
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
import {
    dnsLabel,
    FLAGSMITH_CHART,
    FLAGSMITH_CHART_KEYS_FILE,
    flagsmithAccess,
    flagsmithApiUrl,
    flagsmithFullname,
    kubernetesCreateSuperuserCommand,
    KubernetesFlagsmith,
    KubernetesFlagsmithArgs,
    mergeValues,
    SECRETS_CHECKSUM_ANNOTATION,
} from "../../components/flagsmith-kubernetes";
import { MockArgs, MockRun, RecordedResource, resolveOutputs, runProgram } from "../harness/mocks";

const TOKEN = "least-privilege-token-7f3a9c";
const INFLUX_URL = "http://influxdb:8086";
const ORG = "flagsmith-org";
const BUCKET = "flagsmith_raw";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function influxEnv(): FlagsmithInfluxEnv {
    return {
        INFLUXDB_URL: pulumi.output(INFLUX_URL),
        INFLUXDB_TOKEN: pulumi.secret(TOKEN),
        INFLUXDB_ORG: pulumi.output(ORG),
        INFLUXDB_BUCKET: pulumi.output(BUCKET),
    };
}

/** The value the RandomPassword mock generates for a resource. */
function generated(name: string): string {
    return `generated-${name}-Zx9`;
}

function mocks(migrateExitCode = 0) {
    return {
        [RANDOM_PASSWORD]: (a: MockArgs) => ({ result: generated(a.name) }),
        [REMOTE_IMAGE]: (a: MockArgs) => ({ imageId: `sha256:${a.name}` }),
        [CONTAINER]: (a: MockArgs) => (a.inputs.attach === true && !a.preview ? { exitCode: migrateExitCode } : {}),
    };
}

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

function runK8s(args: Partial<KubernetesFlagsmithArgs> = {}, stack = "test") {
    return runProgram(() => new KubernetesFlagsmith("fs", { influxEnv: influxEnv(), ...args }), {
        stack,
        mocks: mocks(),
    });
}

function values(run: MockRun<unknown>): Record<string, Record<string, unknown>> {
    return run.one(RELEASE).inputs.values as Record<string, Record<string, unknown>>;
}

describe("KubernetesFlagsmith", () => {
    it("installs the pinned Flagsmith chart from its repository into a stack-scoped namespace", async () => {
        const run = await runK8s();
        const release = run.one(RELEASE);
        assert.strictEqual(release.inputs.chart, "flagsmith");
        assert.strictEqual(release.inputs.version, "0.81.0");
        assert.deepStrictEqual(release.inputs.repositoryOpts, {
            repo: "https://flagsmith.github.io/flagsmith-charts/",
        });
        assert.strictEqual(release.inputs.name, "flagsmith-test");
        assert.strictEqual(release.inputs.namespace, "flagsmith-test");
        assert.strictEqual(release.inputs.skipAwait, false);
        const ns = run.one(NAMESPACE);
        assert.deepStrictEqual((ns.inputs.metadata as { name: string }).name, "flagsmith-test");
        assert.ok(release.dependencies.includes(ns.urn));
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.releaseName.value, "flagsmith-test");
        assert.strictEqual(out.namespace.value, "flagsmith-test");
        assert.strictEqual(out.apiUrl.value, "http://flagsmith-test-api.flagsmith-test.svc.cluster.local:8000");
    });

    it("points influxdbExternal at the Pulumi-managed token Secret", async () => {
        const run = await runK8s();
        const v = values(run);
        const tokenSecret = run.one(SECRET, "fs-influxdb-token");
        const meta = tokenSecret.inputs.metadata as { name: string; namespace: string };
        assert.deepStrictEqual(v.influxdbExternal, {
            enabled: true,
            url: INFLUX_URL,
            bucket: BUCKET,
            organization: ORG,
            tokenFromExistingSecret: { enabled: true, name: meta.name, key: "token" },
        });
        assert.strictEqual(meta.name, "flagsmith-test-influxdb-token");
        assert.strictEqual(meta.namespace, run.one(RELEASE).inputs.namespace);
        assert.deepStrictEqual(tokenSecret.inputs.stringData, { token: TOKEN });
        assert.ok(
            tokenSecret.secretInputs.some((p) => p.startsWith("stringData")),
            "token is secret",
        );
        assert.ok(!("token" in (v.influxdbExternal as object)), "the token itself is not a chart value");
        assert.ok(!("influxdb2" in v), "chart 0.81.0 has no in-chart InfluxDB to disable");
        assert.ok(run.one(RELEASE).dependsOn.includes(tokenSecret.urn), "the Secret exists before the release");
    });

    it("enables the task processor and supplies a generated Django secret key", async () => {
        const run = await runK8s();
        const v = values(run);
        assert.strictEqual(v.taskProcessor.enabled, true);
        const keySecret = run.one(SECRET, "fs-django-secret-key");
        const meta = keySecret.inputs.metadata as { name: string; namespace: string };
        assert.deepStrictEqual((v.api as Record<string, unknown>).secretKeyFromExistingSecret, {
            enabled: true,
            name: meta.name,
            key: "django-secret-key",
        });
        assert.deepStrictEqual(keySecret.inputs.stringData, { "django-secret-key": generated("fs-django-secret-key") });
        const checksum = (v.api.podAnnotations as Record<string, string>)[SECRETS_CHECKSUM_ANNOTATION];
        assert.match(checksum, /^[0-9a-f]{64}$/);
        assert.strictEqual(
            (v.taskProcessor.podAnnotations as Record<string, string>)[SECRETS_CHECKSUM_ANNOTATION],
            checksum,
        );
    });

    it("uses the chart's dev Postgres with a generated, secret password by default", async () => {
        const run = await runK8s();
        const v = values(run);
        const password = generated("fs-postgres-password");
        assert.deepStrictEqual(v.devPostgresql, {
            enabled: true,
            auth: { postgresPassword: password },
            primary: { persistence: { existingClaim: "flagsmith-test-dev-postgresql-data" } },
        });
        assert.ok(!("databaseExternal" in v));
        // The claim is the stack's own (deleted with it), with the subchart's defaults, awaited by nobody.
        const claim = run.one("kubernetes:core/v1:PersistentVolumeClaim");
        assert.deepStrictEqual(claim.inputs.spec, {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "8Gi" } },
        });
        assert.deepStrictEqual((claim.inputs.metadata as { annotations: unknown }).annotations, {
            "pulumi.com/skipAwait": "true",
        });
        assert.ok(run.one(RELEASE).dependsOn.includes(claim.urn), "the release after its claim");
        const release = run.one(RELEASE);
        assert.ok(
            release.secretInputs.includes("values.devPostgresql.auth.postgresPassword"),
            `password sent as a secret (secret inputs: ${release.secretInputs.join(", ")})`,
        );
        for (const secret of [TOKEN, password, generated("fs-django-secret-key")]) {
            assert.deepStrictEqual(run.plaintextOccurrences(secret), [], secret);
        }
    });

    it("uses an external database from a URL or from its parts, the password kept secret", async () => {
        const url = "postgres://fs:url-pass-91@db.example.com:5432/flagsmith";
        let run = await runK8s({ databaseExternal: { url } });
        let v = values(run);
        assert.deepStrictEqual(v.devPostgresql, { enabled: false });
        assert.deepStrictEqual(v.databaseExternal, { enabled: true, url });
        assert.deepStrictEqual(run.plaintextOccurrences("url-pass-91"), []);
        assert.strictEqual(run.byName("fs-postgres-password").length, 0, "no dev password generated");

        // By parts, any password works: the chart would join them unencoded, so the program builds the encoded URL
        // into a Secret of its own and the chart reads it by reference.
        run = await runK8s({
            databaseExternal: {
                host: "db.example.com",
                database: "flagsmith",
                username: "fs",
                password: "p@ss/w:rd#1",
            },
        });
        v = values(run);
        const secret = run.byName("fs-database-url")[0];
        const name = (secret.inputs.metadata as { name: string }).name;
        assert.deepStrictEqual(v.databaseExternal, {
            enabled: true,
            urlFromExistingSecret: { enabled: true, name, key: "url" },
        });
        const built = new URL((secret.inputs.stringData as Record<string, string>).url);
        assert.strictEqual(built.href, "postgres://fs:p%40ss%2Fw%3Ard%231@db.example.com:5432/flagsmith");
        assert.strictEqual(decodeURIComponent(built.password), "p@ss/w:rd#1");
        assert.ok(secret.secretInputs.some((p) => p.startsWith("stringData")));
        assert.deepStrictEqual(run.plaintextOccurrences("p@ss/w:rd#1"), []);
        assert.deepStrictEqual(run.plaintextOccurrences(built.href), []);

        await assert.rejects(runK8s({ databaseExternal: { host: "db" } }), /needs database, username, password/);
        await assert.rejects(
            runK8s({ databaseExternal: { url, host: "db" } }),
            /either url, or host\/port\/database\/username\/password/,
        );
    });

    it("rejects unknown chart values, naming the key", async () => {
        await assert.rejects(runK8s({ extraValues: { api: { replicaCount: 2 } } }), (err: Error) => {
            assert.match(err.message, /"api\.replicaCount" \(did you mean "api\.replicacount"\?\)/);
            return true;
        });
        await assert.rejects(runK8s({ extraValues: { influxdb2: { enabled: false } } }), /"influxdb2"/);
    });

    it("refuses extra values that would take over what the component manages", async () => {
        await assert.rejects(
            runK8s({ extraValues: { UsePostgresForAnalytics: { enabled: true } } }),
            /must not set "UsePostgresForAnalytics": Flagsmith would store analytics in Postgres/,
        );
        await assert.rejects(
            runK8s({ extraValues: { api: { extraEnv: { USE_POSTGRES_FOR_ANALYTICS: "true" } } } }),
            /"api\.extraEnv\.USE_POSTGRES_FOR_ANALYTICS"/,
        );
        await assert.rejects(
            runK8s({ extraValues: { taskProcessor: { enabled: false } } }),
            /"taskProcessor\.enabled"/,
        );
        await assert.rejects(runK8s({ extraValues: { influxdbExternal: { token: "x" } } }), /"influxdbExternal"/);
    });

    it("merges valid extra values, including subchart and env passthroughs", async () => {
        const run = await runK8s({
            extraValues: {
                api: { replicacount: 2, extraEnv: { PREVENT_SIGNUP: "true" } },
                taskProcessor: { replicacount: 3 },
                devPostgresql: { primary: { persistence: { size: "2Gi" } } },
                ingress: { api: { enabled: true } },
            },
        });
        const v = values(run);
        assert.strictEqual(v.api.replicacount, 2);
        assert.deepStrictEqual(v.api.extraEnv, { PREVENT_SIGNUP: "true" });
        assert.deepStrictEqual(v.taskProcessor.enabled, true);
        assert.deepStrictEqual(v.taskProcessor.replicacount, 3);
        assert.deepStrictEqual((v.devPostgresql.primary as Record<string, unknown>).persistence, {
            size: "2Gi",
            existingClaim: "flagsmith-test-dev-postgresql-data",
        });
        assert.deepStrictEqual(
            (run.one("kubernetes:core/v1:PersistentVolumeClaim").inputs.spec as { resources: unknown }).resources,
            { requests: { storage: "2Gi" } },
            "the claim takes the size asked of the subchart",
        );
        assert.strictEqual(v.devPostgresql.enabled, true);
        assert.deepStrictEqual(v.ingress, { api: { enabled: true } });
    });

    it("makes no claim of its own for a dev Postgres on the user's claim or without persistence", async () => {
        for (const persistence of [{ existingClaim: "mine" }, { enabled: false }]) {
            const run = await runK8s({ extraValues: { devPostgresql: { primary: { persistence } } } });
            assert.strictEqual(run.byType("kubernetes:core/v1:PersistentVolumeClaim").length, 0);
            assert.deepStrictEqual(
                (values(run).devPostgresql.primary as Record<string, unknown>).persistence,
                persistence,
            );
        }
    });

    it("deploys into a given namespace without creating one", async () => {
        const run = await runK8s({ namespace: "platform", releaseName: "fs-analytics" });
        assert.strictEqual(run.byType(NAMESPACE).length, 0);
        assert.strictEqual(run.one(RELEASE).inputs.namespace, "platform");
        for (const s of run.byType(SECRET)) {
            assert.strictEqual((s.inputs.metadata as { namespace: string }).namespace, "platform");
        }
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.apiUrl.value, "http://fs-analytics-flagsmith-api.platform.svc.cluster.local:8000");
        await assert.rejects(runK8s({ releaseName: "Bad_Name" }), /releaseName "Bad_Name" must be a DNS-1123 label/);
    });

    it("derives DNS-safe names from any stack name", async () => {
        const run = await runK8s({}, "Team_A.prod");
        assert.strictEqual(run.one(RELEASE).inputs.name, "flagsmith-team-a-prod");
        assert.strictEqual(dnsLabel("x".repeat(80), 53, "n").length, 53);
        assert.strictEqual(flagsmithFullname("flagsmith-dev"), "flagsmith-dev");
        assert.strictEqual(flagsmithFullname("fs"), "fs-flagsmith");
        assert.strictEqual(flagsmithApiUrl("fs", "ns", 8000), "http://fs-flagsmith-api.ns.svc.cluster.local:8000");
        assert.deepStrictEqual(mergeValues({ a: { b: 1, c: 2 } }, { a: { c: 3 } }), { a: { b: 1, c: 3 } });
    });

    it("derives the dashboard access from the chart values as chart 0.81.0 renders them", () => {
        // templates/service-frontend.yaml: <fullname>-frontend, port service.frontend.port (8080 by default).
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", {}), {
            url: "http://localhost:8080",
            portForward: "kubectl -n ns port-forward svc/fs-flagsmith-frontend 8080:8080",
        });
        assert.deepStrictEqual(
            flagsmithAccess("fs", "ns", { service: { frontend: { port: 80 } } }).portForward,
            "kubectl -n ns port-forward svc/fs-flagsmith-frontend 8080:80",
        );
        // frontend.enabled false: no frontend Service (or ingress); the API Service is what is left.
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", { frontend: { enabled: false } }), {
            url: "http://localhost:8000",
            portForward: "kubectl -n ns port-forward svc/fs-flagsmith-api 8000:8000",
        });
        const hosts = ["flagsmith.example.com", "other.example.com"];
        const tls = [{ secretName: "tls", hosts: ["flagsmith.example.com"] }];
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", { ingress: { frontend: { enabled: true, hosts, tls } } }), {
            url: "https://flagsmith.example.com",
        });
        // An ingress that is not enabled, or without a host, is not a way in.
        for (const frontend of [
            { enabled: false, hosts },
            { enabled: true, hosts: [] },
        ]) {
            assert.ok(flagsmithAccess("fs", "ns", { ingress: { frontend } }).portForward, JSON.stringify(frontend));
        }
        assert.ok(
            flagsmithAccess("fs", "ns", {
                frontend: { enabled: false },
                ingress: { frontend: { enabled: true, hosts } },
            }).portForward,
        );
        assert.strictEqual(
            kubernetesCreateSuperuserCommand("fs", "ns"),
            "kubectl -n ns exec -it deploy/fs-flagsmith-api -c flagsmith-api -- python manage.py createsuperuser",
        );
    });

    it("validates against the committed key tree of the pinned chart", async () => {
        assert.strictEqual(FLAGSMITH_CHART.version, "0.81.0");
        assert.match(FLAGSMITH_CHART_KEYS_FILE, /components[\\/]chart-keys[\\/]flagsmith-0\.81\.0\.json$/);
        await assert.rejects(
            runK8s({ chartValuesFile: "/nonexistent/values.yaml" }),
            /values file \/nonexistent\/values\.yaml cannot be read/,
        );
    });
});
