// The whole program (index.ts) under mocks, per platform: the full resource set, the Flagsmith environment on both
// the API and the task processor, Helm values, dependencies, secrets and stack-scoped names.
import * as assert from "assert";
import { defaultDownsamplingTasks, renderDownsamplingFlux } from "../components/downsampling";
import * as pulumi from "@pulumi/pulumi";
import { MockRun, RecordedResource, resolveOutput, ResolvedOutput, runProgram, RunOptions } from "./harness/mocks";
import { generatedSecret, MOCK_ORG_ID, mockId, mockToken, programMocks, TYPES } from "./harness/program-mocks";

type Outputs = Record<string, unknown>;
const program = (): Promise<Outputs> => {
    // A fresh copy of index.ts per run (its module body only defines the function).
    const main = require("../index") as () => Promise<Outputs>;
    return main();
};
const TOKEN = mockToken("analytics-flagsmith-token");

function run(config: Record<string, unknown>, options: RunOptions = {}): Promise<MockRun<Outputs>> {
    return runProgram(program, { ...options, config, mocks: programMocks() });
}

/** Stack outputs as the engine records them: nested Outputs resolved, secret-ness propagated. */
async function stackOutputs(result: Outputs): Promise<Record<string, ResolvedOutput>> {
    const out: Record<string, ResolvedOutput> = {};
    for (const [k, v] of Object.entries(result)) {
        out[k] = await resolveOutput(pulumi.output(v));
    }
    return out;
}

function envOf(r: RecordedResource): Record<string, string> {
    const envs = r.inputs.envs as string[];
    return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("the program (index.ts) under mocks", function () {
    this.timeout(60_000);

    describe("on Docker (the default stack)", function () {
        let r: MockRun<Outputs>;
        before(async () => {
            r = await run({ platform: "docker" }, { stack: "dev" });
        });

        it("creates the three analytics buckets with Flagsmith's names and the documented retentions", function () {
            const buckets = r.byType(TYPES.bucket).map((b) => [b.inputs.name, b.inputs.retentionSeconds]);
            assert.deepStrictEqual(buckets, [
                ["default", 14 * 86400],
                ["default_downsampled_15m", 190 * 86400],
                ["default_downsampled_1h", 0],
            ]);
            // First-boot setup creates the raw bucket: it is adopted, the others are not.
            assert.deepStrictEqual(
                r.byType(TYPES.bucket).map((b) => b.inputs.adopt),
                [true, false, false],
            );
        });

        it("sets its retentions on the first-boot bucket it adopts (only `adopt: true` keeps a bucket's own)", function () {
            assert.deepStrictEqual(
                r.byType(TYPES.bucket).map((b) => b.inputs.keepRetentionOnAdopt),
                [false, false, false],
            );
        });

        it("with adopt, keeps the retention of each adopted bucket whose retention the config does not set", async function () {
            const adopted = await run(
                { platform: "docker", adopt: true, retention: { downsampled15m: "200d" } },
                { stack: "dev" },
            );
            assert.deepStrictEqual(
                adopted.byType(TYPES.bucket).map((b) => [b.inputs.name, b.inputs.keepRetentionOnAdopt]),
                [
                    ["default", true],
                    ["default_downsampled_15m", false],
                    ["default_downsampled_1h", true],
                ],
            );
        });

        it("creates the docs' four downsampling tasks, each after the buckets it reads and writes", function () {
            const tasks = r.byType(TYPES.task);
            assert.deepStrictEqual(
                tasks.map((t) => t.inputs.flux),
                defaultDownsamplingTasks("default").map(renderDownsamplingFlux),
            );
            const bucketUrn = (name: string) => r.byType(TYPES.bucket).find((b) => b.inputs.name === name)!.urn;
            for (const t of tasks) {
                const dst = String(t.inputs.flux).includes("_downsampled_15m")
                    ? "default_downsampled_15m"
                    : "default_downsampled_1h";
                assert.ok(t.dependencies.includes(bucketUrn("default")), `${t.name} after the raw bucket`);
                assert.ok(t.dependencies.includes(bucketUrn(dst)), `${t.name} after ${dst}`);
            }
        });

        it("gives Flagsmith a token that writes and reads the raw bucket and reads the two downsampled ones", function () {
            const auth = r.one(TYPES.authorization);
            assert.deepStrictEqual(auth.inputs.permissions, [
                { action: "write", resource: { type: "buckets", id: mockId("default") } },
                { action: "read", resource: { type: "buckets", id: mockId("default") } },
                { action: "read", resource: { type: "buckets", id: mockId("default_downsampled_15m") } },
                { action: "read", resource: { type: "buckets", id: mockId("default_downsampled_1h") } },
            ]);
            assert.ok(auth.options.additionalSecretOutputs.includes("token"));
        });

        it("sets the four INFLUXDB_* variables on both the Flagsmith API and the task processor", function () {
            for (const name of ["flagsmith-api", "flagsmith-task-processor"]) {
                const c = r.byType(TYPES.container).find((x) => x.name === name);
                assert.ok(
                    c,
                    `container ${name}; have ${r
                        .byType(TYPES.container)
                        .map((x) => x.name)
                        .join(", ")}`,
                );
                const env = envOf(c);
                assert.strictEqual(env.INFLUXDB_URL, "http://influxdb-dev:8086");
                assert.strictEqual(env.INFLUXDB_TOKEN, TOKEN);
                assert.strictEqual(env.INFLUXDB_ORG, "influxdata");
                assert.strictEqual(env.INFLUXDB_BUCKET, "default");
                assert.strictEqual(env.TASK_RUN_METHOD, "TASK_PROCESSOR");
                assert.ok(!("USE_POSTGRES_FOR_ANALYTICS" in env));
                assert.ok(c.secretInputs.includes("envs"), "envs carry secrets");
            }
        });

        it("creates Flagsmith after the analytics resources, and every InfluxDB resource deletedWith the data volume", function () {
            const api = r.byType(TYPES.container).find((x) => x.name === "flagsmith-api")!;
            const auth = r.one(TYPES.authorization);
            assert.ok(
                api.dependencies.includes(auth.urn) ||
                    r.descendants(r.one(TYPES.analytics)).every((d) => !d.custom || api.dependencies.includes(d.urn)),
            );
            const dataVolume = r.byType(TYPES.volume).find((v) => /data/.test(v.name))!;
            for (const d of [...r.byType(TYPES.bucket), ...r.byType(TYPES.task), auth]) {
                assert.strictEqual(d.options.deletedWith, dataVolume.urn, d.name);
                assert.ok(!d.options.retainOnDelete, d.name);
            }
        });

        it("exports the environment with the token as a secret, and the task health", async function () {
            const out = await stackOutputs(r.result);
            const env = out.flagsmithEnv.value as Record<string, string>;
            assert.strictEqual(env.INFLUXDB_TOKEN, TOKEN);
            assert.strictEqual(out.flagsmithEnv.secret, true);
            assert.deepStrictEqual(out.buckets.value, {
                raw: "default",
                downsampled15m: "default_downsampled_15m",
                downsampled1h: "default_downsampled_1h",
            });
            assert.strictEqual(out.flagsmithUrl.value, "http://localhost:8000");
            assert.strictEqual(out.influxdbOrgId.value, MOCK_ORG_ID);
            assert.deepStrictEqual(Object.keys(out.taskHealth.value as object).length, 4);
        });

        it("exports the InfluxDB UI login and the operator token, the password and token as secrets", async function () {
            const out = await stackOutputs(r.result);
            assert.deepStrictEqual(out.influxdbUsername, { value: "admin", known: true, secret: false });
            // The generated credentials the container was set up with, not copies.
            const env = envOf(r.byType(TYPES.container).find((c) => c.name === "influxdb")!);
            assert.deepStrictEqual(out.influxdbAdminPassword, {
                value: env.DOCKER_INFLUXDB_INIT_PASSWORD,
                known: true,
                secret: true,
            });
            assert.deepStrictEqual(out.influxdbOperatorToken, {
                value: env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
                known: true,
                secret: true,
            });
            assert.strictEqual(env.DOCKER_INFLUXDB_INIT_PASSWORD, generatedSecret("influxdb-admin-password"));
        });

        it("exports each task's ID by task name", async function () {
            const taskIds = (await stackOutputs(r.result)).taskIds.value as Record<string, string>;
            const tasks = r.byType(TYPES.task);
            assert.deepStrictEqual(
                Object.keys(taskIds).sort(),
                defaultDownsamplingTasks("default")
                    .map((t) => t.name)
                    .sort(),
            );
            assert.strictEqual(tasks.length, 4);
            for (const t of tasks) {
                const name = /name: "([^"]+)"/.exec(String(t.inputs.flux))![1];
                assert.strictEqual(taskIds[name], t.id, name);
            }
        });

        it("exports how to open Flagsmith and create its first user, in the API container by its real name", async function () {
            const out = await stackOutputs(r.result);
            assert.strictEqual(out.flagsmithUrl.value, "http://localhost:8000");
            const api = r.byType(TYPES.container).find((x) => x.name === "flagsmith-api")!;
            assert.strictEqual(api.inputs.name, "flagsmith-api-dev");
            assert.strictEqual(
                out.flagsmithFirstUser.value,
                "docker exec -it flagsmith-api-dev python manage.py createsuperuser",
            );
            assert.strictEqual(out.flagsmithPortForward.value, undefined);
            assert.strictEqual(out.flagsmithApiInternalUrl.value, undefined);
        });

        it("publishes Flagsmith's API on 127.0.0.1 only, like InfluxDB", function () {
            for (const name of ["flagsmith-api", "influxdb"]) {
                const c = r.byType(TYPES.container).find((x) => x.name === name)!;
                assert.deepStrictEqual(
                    (c.inputs.ports as { ip: string }[]).map((p) => p.ip),
                    ["127.0.0.1"],
                    name,
                );
            }
        });

        it("never shows a generated password or token in plain text", function () {
            const secrets = [TOKEN, ...r.byType(TYPES.randomPassword).map((p) => generatedSecret(p.name))];
            assert.ok(secrets.length >= 4);
            for (const s of secrets) {
                assert.deepStrictEqual(r.plaintextOccurrences(s), [], s);
            }
        });
    });

    it("names Docker resources after the stack so stacks share one Docker host", async function () {
        const a = await run({ platform: "docker" }, { stack: "pr-1" });
        const b = await run(
            { platform: "docker", influxdb: { port: 8087 }, flagsmith: { apiPort: 8001 } },
            { stack: "pr-2" },
        );
        const names = (x: MockRun<Outputs>) => x.byType(TYPES.container).map((c) => String(c.inputs.name));
        assert.ok(
            names(a).every((n) => n.includes("pr-1")),
            names(a).join(),
        );
        assert.ok(
            names(b).every((n) => n.includes("pr-2")),
            names(b).join(),
        );
    });

    it("publishes Flagsmith on flagsmith.bindAddress and passes flagsmith.extraEnv to the API and task processor", async function () {
        const r = await run({
            platform: "docker",
            flagsmith: { bindAddress: "0.0.0.0", extraEnv: { PREVENT_SIGNUP: "true", EMAIL_PORT: 587 } },
        });
        const api = r.byType(TYPES.container).find((x) => x.name === "flagsmith-api")!;
        assert.deepStrictEqual(api.inputs.ports, [{ internal: 8000, external: 8000, ip: "0.0.0.0" }]);
        for (const name of ["flagsmith-api", "flagsmith-task-processor"]) {
            const env = envOf(r.byType(TYPES.container).find((x) => x.name === name)!);
            assert.strictEqual(env.PREVENT_SIGNUP, "true", name);
            assert.strictEqual(env.EMAIL_PORT, "587", name);
            assert.strictEqual(env.INFLUXDB_URL, "http://influxdb-test:8086", name);
        }
        // InfluxDB keeps its own default.
        const influx = r.byType(TYPES.container).find((x) => x.name === "influxdb")!;
        assert.strictEqual((influx.inputs.ports as { ip: string }[])[0].ip, "127.0.0.1");
    });

    describe("on Kubernetes", function () {
        let r: MockRun<Outputs>;
        before(async () => {
            r = await run({ platform: "kubernetes" }, { stack: "staging" });
        });
        it("installs both charts and hands Flagsmith the token through a Pulumi-managed Secret", function () {
            const releases = r.byType(TYPES.release);
            assert.deepStrictEqual(releases.map((x) => x.inputs.chart).sort(), ["flagsmith", "influxdb2"]);
            const flagsmith = releases.find((x) => x.inputs.chart === "flagsmith")!;
            const values = flagsmith.inputs.values as Record<string, Record<string, unknown>>;
            assert.strictEqual(values.influxdbExternal.enabled, true);
            assert.strictEqual(values.influxdbExternal.bucket, "default");
            assert.strictEqual(values.influxdbExternal.organization, "influxdata");
            assert.match(String(values.influxdbExternal.url), /^http:\/\/influxdb\..*\.svc\.cluster\.local:8086$/);
            const ref = values.influxdbExternal.tokenFromExistingSecret as {
                enabled: boolean;
                name: string;
                key: string;
            };
            assert.strictEqual(ref.enabled, true);
            const secret = r
                .byType(TYPES.secret)
                .find((s) => (s.inputs.metadata as { name: string }).name === ref.name);
            assert.ok(secret, `Secret ${ref.name}`);
            assert.strictEqual((secret.inputs.stringData as Record<string, string>)[ref.key], TOKEN);
            assert.ok(secret.secretInputs.some((p) => p.startsWith("stringData")));
            assert.strictEqual((values.taskProcessor as { enabled: boolean }).enabled, true);
        });
        it("never shows a generated password or token in plain text", function () {
            for (const s of [TOKEN, ...r.byType(TYPES.randomPassword).map((p) => generatedSecret(p.name))]) {
                assert.deepStrictEqual(r.plaintextOccurrences(s), [], s);
            }
        });
        it("exports the InfluxDB UI login from the admin Secret, the password and operator token as secrets", async function () {
            const out = await stackOutputs(r.result);
            const admin = r.byType(TYPES.secret).find((s) => s.name === "influxdb-admin")!;
            const data = admin.inputs.stringData as Record<string, string>;
            assert.deepStrictEqual(out.influxdbUsername, { value: "admin", known: true, secret: false });
            assert.deepStrictEqual(out.influxdbAdminPassword, {
                value: data["admin-password"],
                known: true,
                secret: true,
            });
            assert.deepStrictEqual(out.influxdbOperatorToken, {
                value: data["admin-token"],
                known: true,
                secret: true,
            });
        });
        it("exports what a person opens (the dashboard through a port-forward) and keeps the in-cluster API URL apart", async function () {
            const out = await stackOutputs(r.result);
            const release = r.byType(TYPES.release).find((x) => x.inputs.chart === "flagsmith")!;
            assert.strictEqual(release.inputs.name, "flagsmith-staging");
            assert.strictEqual(release.inputs.namespace, "flagsmith-staging");
            assert.strictEqual(out.flagsmithUrl.value, "http://localhost:8080");
            // Chart 0.81.0's frontend Service: <fullname>-frontend on service.frontend.port 8080.
            assert.strictEqual(
                out.flagsmithPortForward.value,
                "kubectl -n flagsmith-staging port-forward svc/flagsmith-staging-frontend 8080:8080",
            );
            assert.strictEqual(
                out.flagsmithApiInternalUrl.value,
                "http://flagsmith-staging-api.flagsmith-staging.svc.cluster.local:8000",
            );
            // Chart 0.81.0's API Deployment <fullname>-api, container flagsmith-api.
            assert.strictEqual(
                out.flagsmithFirstUser.value,
                "kubectl -n flagsmith-staging exec -it deploy/flagsmith-staging-api -c flagsmith-api -- " +
                    "python manage.py createsuperuser",
            );
            assert.strictEqual(Object.keys(out.taskIds.value as object).length, 4);
        });
    });

    it("on Kubernetes with a frontend ingress in flagsmith.extraValues, exports its URL and no port-forward", async function () {
        const ingress = {
            frontend: {
                enabled: true,
                hosts: ["flagsmith.example.com"],
                tls: [{ secretName: "flagsmith-tls", hosts: ["flagsmith.example.com"] }],
            },
        };
        const r = await run({ platform: "kubernetes", flagsmith: { extraValues: { ingress } } });
        const out = await stackOutputs(r.result);
        assert.strictEqual(out.flagsmithUrl.value, "https://flagsmith.example.com");
        assert.strictEqual(out.flagsmithPortForward.value, undefined);
    });

    it("with an external InfluxDB and Flagsmith on Docker: the containers get its URL, on a network of their own", async function () {
        const r = await runProgram(program, {
            config: {
                platform: "external",
                influxdb: { url: "http://influx.internal:8086", org: "acme", bucket: "default" },
                flagsmith: { platform: "docker" },
            },
            secretConfig: { influxdbToken: "operator-token-value" },
            mocks: programMocks(),
            stack: "shared",
        });
        const networks = r.byType("docker:index/network:Network").map((n) => n.inputs.name);
        assert.deepStrictEqual(networks, ["flagsmith-shared-network"]);
        for (const name of ["flagsmith-api", "flagsmith-task-processor"]) {
            const c = r.byType(TYPES.container).find((x) => x.name === name)!;
            assert.strictEqual(envOf(c).INFLUXDB_URL, "http://influx.internal:8086", name);
            assert.deepStrictEqual(
                (c.inputs.networksAdvanced as { name: string }[]).map((n) => n.name),
                ["flagsmith-shared-network"],
            );
        }
        assert.strictEqual(r.byType(TYPES.container).filter((x) => x.name === "influxdb").length, 0);
    });

    describe("with an external InfluxDB and Flagsmith elsewhere", function () {
        it("deploys nothing for InfluxDB or Flagsmith and exports the four variables, the token secret", async function () {
            const r = await runProgram(program, {
                config: {
                    platform: "external",
                    influxdb: { url: "http://influx.internal:8086", org: "acme", bucket: "default" },
                    flagsmith: { enabled: false },
                },
                secretConfig: { influxdbToken: "operator-token-value" },
                mocks: programMocks(),
            });
            const types = new Set(r.resources.filter((x) => x.custom).map((x) => x.type));
            assert.deepStrictEqual(
                [...types].sort(),
                [TYPES.authorization, TYPES.bucket, TYPES.organization, TYPES.organizationProbe, TYPES.task].sort(),
            );
            const out = await stackOutputs(r.result);
            assert.deepStrictEqual(out.flagsmithEnv.value, {
                INFLUXDB_URL: "http://influx.internal:8086",
                INFLUXDB_TOKEN: TOKEN,
                INFLUXDB_ORG: "acme",
                INFLUXDB_BUCKET: "default",
            });
            assert.strictEqual(out.flagsmithEnv.secret, true);
            assert.strictEqual(out.flagsmithUrl.value, undefined);
            assert.strictEqual(out.flagsmithFirstUser.value, undefined);
            assert.deepStrictEqual(r.plaintextOccurrences("operator-token-value"), []);
            // The operator token is exported, as a secret; no UI login (the server's users are not the stack's).
            assert.deepStrictEqual(out.influxdbOperatorToken, {
                value: "operator-token-value",
                known: true,
                secret: true,
            });
            assert.strictEqual(out.influxdbUsername.value, undefined);
            assert.strictEqual(out.influxdbAdminPassword.value, undefined);
            // Nothing owns the external server: its resources are deleted by Pulumi itself.
            assert.ok(r.byType(TYPES.bucket).every((b) => b.options.deletedWith === undefined));
        });
    });

    describe("rejects bad settings before creating anything", function () {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["an unknown platform", { platform: "swarm" }, /platform: unknown platform "swarm"/],
            ["a bad bucket name", { bucket: "_internal" }, /bucket: "_internal" must not start with `_`/],
            [
                "a retention below 180 days for the 15m bucket",
                { retention: { downsampled15m: "30d" } },
                /retention.downsampled15m/,
            ],
            ["a retention of 60 s", { retention: { raw: "60s" } }, /retention.raw: .*minimum of 1h/],
            [
                "an unknown top-level key",
                { flagsmth: { enabled: false } },
                /flagsmith-influxdb:flagsmth: unknown setting/,
            ],
            [
                "an unknown task override",
                { tasks: { overrides: { Nope: { every: "5m" } } } },
                /unknown task\(s\) "Nope"/,
            ],
            [
                "a bad task window",
                { tasks: { overrides: { "Downsample API 1h": { every: "1hour" } } } },
                /downsampling task "Downsample API 1h": every/,
            ],
            [
                "raw Flux with an unknown function",
                {
                    tasks: {
                        extra: [
                            {
                                name: "x",
                                flux: 'option task = {name: "x", every: 1h}\nfrom(bucket: "default") |> rnge(start: -1h)',
                            },
                        ],
                    },
                },
                /downsampling task "x": Flux error .*undefined identifier rnge/,
            ],
            [
                "a Flagsmith port out of range",
                { flagsmith: { apiPort: 70000 } },
                /flagsmith.apiPort: port must be an integer between 1 and 65535/,
            ],
        ];
        for (const [label, config, message] of cases) {
            it(`rejects ${label}`, async function () {
                for (const preview of [true, false]) {
                    await assert.rejects(
                        runProgram(program, {
                            config: { platform: "docker", ...config },
                            preview,
                            mocks: programMocks(),
                        }).then((x) => {
                            throw new Error(`accepted; registered ${x.resources.length} resources`);
                        }),
                        (e: Error) => {
                            assert.match(e.message, message);
                            return true;
                        },
                    );
                }
            });
        }
    });
});

describe("task checks in the program", function () {
    it("warns when a script reads or writes a bucket the stack does not declare, naming the task and bucket", async function () {
        const { checkTasks, planTasks, analyticsBucketNames } = await import("../components/analytics");
        const extra = {
            name: "Copy elsewhere",
            flux: 'option task = {name: "Copy elsewhere", every: 1h}\nfrom(bucket: "default") |> range(start: -1h) |> to(bucket: "archive")\n',
        };
        const tasks = planTasks("default", { extra: [extra] });
        const result = await checkTasks(tasks, Object.values(analyticsBucketNames("default")));
        assert.deepStrictEqual(result.errors, []);
        assert.strictEqual(result.warnings.length, 1);
        assert.match(result.warnings[0], /"Copy elsewhere" uses bucket "archive", which this stack does not declare/);
    });

    it("rejects a raw task whose option task name differs from its declared name", async function () {
        const { checkTasks, planTasks } = await import("../components/analytics");
        const tasks = planTasks("default", {
            extra: [
                {
                    name: "A",
                    flux: 'option task = {name: "B", every: 1h}\nfrom(bucket: "default") |> range(start: -1h)\n',
                },
            ],
        });
        const { errors } = await checkTasks(tasks, ["default"]);
        assert.match(errors.join("\n"), /downsampling task "A": flux: option task name "B" differs from the task name/);
    });

    it("exports each task's health as refreshed from the server", async function () {
        const r = await runProgram(program, {
            config: { platform: "docker" },
            mocks: programMocks({
                [TYPES.task]: (a) => ({
                    taskId: mockId(a.name),
                    status: "active",
                    ...(a.name.endsWith("api-1h")
                        ? { lastRunStatus: "failed", lastRunError: "bucket not found" }
                        : { lastRunStatus: "success" }),
                }),
            }),
        });
        const health = (await stackOutputs(r.result)).taskHealth.value as Record<string, Record<string, string>>;
        assert.deepStrictEqual(health["Downsample API 1h"], {
            status: "active",
            lastRunStatus: "failed",
            lastRunError: "bucket not found",
        });
        assert.deepStrictEqual(health["Downsample (API Requests)"], {
            status: "active",
            lastRunStatus: "success",
            lastRunError: "",
        });
    });
});
