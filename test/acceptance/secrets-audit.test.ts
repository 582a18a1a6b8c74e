// Secrets audit: every generated password and token is searched for in everything that would be persisted
// or shown, and must appear nowhere in plain text:
// - the program under mocks (Docker, Kubernetes, external with a secret operator token; preview and up): resource
//   inputs and outputs not marked secret (MockRun.plaintextOccurrences, which includes the serialized `__provider`
//   code), URNs and IDs, the non-secret stack outputs, and everything logged (pulumi.log, console, stdout/stderr);
// - the providers through the real dynamic-provider host against the InfluxDB stand-in (create, update, refresh,
//   replace, failing operations, delete): the engine's state after every step (IDs, inputs not secret, outputs not in
//   secretOutputs), the serialized `__provider` code, every error message, the plugin's stdout/stderr, and this
//   process's log output. The tokens are the real ones: every token the stand-in holds (its operator token and every
//   Authorization's), plus a wrong token used for a failing call.
// A last part plants plain-text copies and shows that each search finds them.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Authorization } from "../../dynamic-providers/authorization";
import { Bucket } from "../../dynamic-providers/bucket";
import { ConnectionArgs } from "../../dynamic-providers/connection";
import { Organization } from "../../dynamic-providers/organization";
import { Task } from "../../dynamic-providers/task";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { Engine, ProviderError, ProviderHost, Props, ResourceState } from "../harness/provider-host";
import { InfluxStandIn } from "../harness/influx-standin";
import { MockRun, resolveOutput, runProgram, RunOptions } from "../harness/mocks";
import { generatedSecret, mockToken, programMocks, TYPES } from "../harness/program-mocks";

type Outputs = Record<string, unknown>;
type ResourceType = "Bucket" | "Task" | "Authorization" | "Organization";

const DYNAMIC = "pulumi-nodejs:dynamic/influxdb:";
const EXTERNAL_TOKEN = "external-operator-token-5Kq2Wz";
const CONFIG_PASSWORD = "config-admin-password-9Lm4Tq";
const CONFIG_TOKEN = "config-admin-token-2Rw7Yc";
const WRONG_TOKEN = "wrong-token-not-known-to-influx-3Hv8";
const PLANTED = "planted-plain-copy-of-a-secret-8Jd1";
const READ_WRITE = [
    { action: "read", resource: { type: "buckets" } },
    { action: "write", resource: { type: "buckets" } },
];
const FLUX = (name: string) =>
    `option task = {name: "${name}", every: 1h}\n\nfrom(bucket: "audit-raw")\n    |> range(start: -1h)\n    |> to(bucket: "audit-1h")\n`;

const program = (): Promise<Outputs> => (require("../../index") as () => Promise<Outputs>)();
const urnOf = (type: ResourceType, name: string) => `urn:pulumi:test::flagsmith-influxdb::${DYNAMIC}${type}::${name}`;

/** Labelled texts that would be persisted or shown; searched for secrets. */
class Exposure {
    private readonly texts: { where: string; text: string }[] = [];

    add(where: string, value: unknown): void {
        if (value === undefined || value === null) {
            return;
        }
        this.texts.push({ where, text: typeof value === "string" ? value : JSON.stringify(value) });
    }

    get size(): number {
        return this.texts.length;
    }

    /** `<secret label> in <where>` for every text that contains a secret. */
    find(secrets: ReadonlyMap<string, string>): string[] {
        const hits: string[] = [];
        for (const [label, secret] of secrets) {
            assert.ok(secret.length >= 8, `secret ${label} is too short to search for`);
            for (const t of this.texts) {
                if (t.text.includes(secret)) {
                    hits.push(`${label} in ${t.where}`);
                }
            }
        }
        return hits;
    }
}

/** One captured line of log output: `stdout`/`stderr` of this process, or a pulumi.log level. */
interface LogEntry {
    readonly level: "stdout" | "stderr" | "debug" | "info" | "warn" | "error";
    readonly text: string;
}

/**
 * The Node.js SDK (3.276) debug-logs every RegisterResource/ReadResource/Invoke RPC *response* as is, resolved secret
 * values included (only the requests are gated behind excessiveDebugOutput). Debug messages are hidden unless
 * `pulumi --debug` is used; these SDK lines are reported apart, every other debug line must be clean.
 */
const SDK_RPC_RESPONSE_DEBUG = /^(RegisterResource|ReadResource|Invoke|Call|getResource Invoke) RPC finished: /;

/** Captures (and swallows) stdout, stderr and pulumi.log while it runs. */
class LogCapture {
    readonly entries: LogEntry[] = [];
    private readonly restore: (() => void)[] = [];

    start(): this {
        for (const [level, stream] of [
            ["stdout", process.stdout],
            ["stderr", process.stderr],
        ] as const) {
            const original = stream.write;
            stream.write = ((chunk: string | Uint8Array) => {
                const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
                this.entries.push({ level, text });
                return true;
            }) as typeof stream.write;
            this.restore.push(() => (stream.write = original));
        }
        type LogFn = (msg: string, ...rest: unknown[]) => Promise<void>;
        const log = pulumi.log as unknown as Record<"debug" | "info" | "warn" | "error", LogFn>;
        for (const level of ["debug", "info", "warn", "error"] as const) {
            const original = log[level];
            log[level] = (msg, ...rest) => {
                this.entries.push({ level, text: msg });
                return original(msg, ...rest);
            };
            this.restore.push(() => (log[level] = original));
        }
        return this;
    }

    stop(): LogEntry[] {
        for (const undo of this.restore.splice(0).reverse()) {
            undo();
        }
        return this.entries;
    }
}

async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; logs: LogEntry[] }> {
    const capture = new LogCapture().start();
    try {
        const result = await fn();
        return { result, logs: capture.stop() };
    } finally {
        capture.stop();
    }
}

/** Log output as labelled texts: what is shown by default in one, each debug line on its own. */
function addLogs(exposure: Exposure, what: string, logs: readonly LogEntry[]): void {
    exposure.add(
        `${what} (console, stdout, stderr, pulumi.log info/warn/error)`,
        logs
            .filter((e) => e.level !== "debug")
            .map((e) => e.text)
            .join("\n"),
    );
    for (const e of logs.filter((x) => x.level === "debug")) {
        const sdk = SDK_RPC_RESPONSE_DEBUG.test(e.text) ? "SDK RPC response " : "";
        exposure.add(`${what} (${sdk}debug line "${e.text.split(":")[0].slice(0, 40)}")`, e.text);
    }
}

/** Hits outside the SDK's own RPC-response debug lines (see SDK_RPC_RESPONSE_DEBUG). */
function beyondSdkDebug(hits: readonly string[]): string[] {
    return hits.filter((h) => !h.includes("(SDK RPC response debug line"));
}

/** URNs, IDs, `__provider` code, non-secret stack outputs and logs of a mocked run. */
async function programExposure(run: MockRun<Outputs>, logs: readonly LogEntry[]): Promise<Exposure> {
    const exposure = new Exposure();
    for (const r of run.resources) {
        exposure.add(`URN ${r.urn}`, r.urn);
        exposure.add(`ID of ${r.urn}`, r.id);
        exposure.add(`__provider of ${r.urn}`, r.rawInputs.__provider);
    }
    for (const [key, value] of Object.entries(run.result ?? {})) {
        const out = await resolveOutput(pulumi.output(value));
        if (!out.secret) {
            exposure.add(`stack output ${key}`, out.value);
        }
    }
    addLogs(exposure, "log output of the program", logs);
    return exposure;
}

/** Plain-text hits of `secrets` in a mocked run: its resources (MockRun.plaintextOccurrences) and its exposure. */
function programHits(run: MockRun<Outputs>, exposure: Exposure, secrets: ReadonlyMap<string, string>): string[] {
    const hits: string[] = [];
    for (const [label, secret] of secrets) {
        hits.push(...run.plaintextOccurrences(secret).map((h) => `${label} in ${h}`));
    }
    return [...hits, ...exposure.find(secrets)];
}

function omit(props: Props, keys: readonly string[]): Props {
    return Object.fromEntries(Object.entries(props).filter(([k]) => !keys.includes(k)));
}

/** What the engine would persist of a state: its ID, the inputs that are not secret, the outputs that are not. */
function addState(exposure: Exposure, step: string, state: ResourceState | undefined): void {
    if (state) {
        exposure.add(`state after ${step}: ID of ${state.urn}`, state.id);
        exposure.add(`state after ${step}: inputs of ${state.urn}`, omit(state.inputs, state.secretInputs));
        exposure.add(`state after ${step}: outputs of ${state.urn}`, omit(state.outputs, state.secretOutputs));
    }
}

/**
 * What the engine would show or keep of a failed operation: the message, and for a resource created but not
 * initialized (ErrorResourceInitFailed in the gRPC status details) its ID, the reasons it shows and the properties it
 * stores as the resource's state, less the keys it stores as secrets (`secretKeys`).
 */
function addError(exposure: Exposure, step: string, error: unknown, secretKeys: readonly string[] = []): void {
    const e = error as Error;
    exposure.add(`error of ${step}: message`, `${e.name}: ${e.message}`);
    if (!(error instanceof ProviderError)) {
        return;
    }
    exposure.add(`error of ${step}: gRPC details`, error.details);
    for (const bin of error.metadata.get("grpc-status-details-bin")) {
        const status = statusproto.Status.deserializeBinary(Buffer.from(bin as Buffer));
        for (const any of status.getDetailsList()) {
            const init = any.unpack(
                provproto.ErrorResourceInitFailed.deserializeBinary,
                "pulumirpc.ErrorResourceInitFailed",
            );
            if (init) {
                exposure.add(`error of ${step}: ID of the partially created resource`, init.getId());
                exposure.add(`error of ${step}: reasons`, init.getReasonsList());
                const properties = (init.getProperties()?.toJavaScript() ?? {}) as Props;
                exposure.add(`error of ${step}: partial state`, omit(properties, secretKeys));
                initFailures.push(step);
            }
        }
    }
}

/** Steps whose error carried a partially created resource (ErrorResourceInitFailed). */
const initFailures: string[] = [];
const ADOPT_FAILS = "adopt a bucket whose settings update fails (503), leaving a partially created resource";

/** Resolves once `done()` holds (polled), or rejects after 10 s. */
async function settled(done: () => boolean): Promise<void> {
    for (let waited = 0; !done(); waited += 50) {
        if (waited > 10_000) {
            throw new Error("timed out waiting for the plugin's output");
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** Serialized inputs and additionalSecretOutputs of the four resources, exactly as the engine receives them. */
async function serializedResources(c: ConnectionArgs, orgId: string, orgName: string) {
    const run = await runProgram(() => {
        new Bucket("b", { connection: c, orgId, name: "audit-raw" });
        new Task("t", { connection: c, orgId, flux: FLUX("audit-task") });
        new Authorization("a", {
            connection: c,
            orgId,
            description: "audit token",
            permissions: [{ action: "read", resource: { type: "buckets" } }],
        });
        new Organization("o", { connection: c, name: orgName });
    });
    const out = {} as Record<ResourceType, { inputs: Props; additionalSecretOutputs: string[] }>;
    for (const r of run.resources) {
        out[r.type.slice(DYNAMIC.length) as ResourceType] = {
            inputs: r.rawInputs,
            additionalSecretOutputs: r.options.additionalSecretOutputs,
        };
    }
    return out;
}

describe("secrets audit: no generated password or token is persisted or shown in plain text", function () {
    this.timeout(120_000);

    describe("the program under mocks", function () {
        const configSecrets = { influxdbAdminPassword: CONFIG_PASSWORD, influxdbAdminToken: CONFIG_TOKEN };
        const external = {
            platform: "external",
            influxdb: { url: "http://influx.internal:8086", org: "acme", bucket: "default" },
            flagsmith: { platform: "kubernetes" },
        };
        const cases: { label: string; options: RunOptions; randomPasswords: number }[] = [
            { label: "Docker, generated credentials", options: { config: { platform: "docker" } }, randomPasswords: 4 },
            {
                label: "Docker, credentials from secret config",
                options: { config: { platform: "docker" }, secretConfig: configSecrets },
                randomPasswords: 2,
            },
            {
                label: "Kubernetes, generated credentials",
                options: { config: { platform: "kubernetes" } },
                randomPasswords: 4,
            },
            {
                label: "Kubernetes, credentials from secret config",
                options: { config: { platform: "kubernetes" }, secretConfig: configSecrets },
                randomPasswords: 2,
            },
            {
                label: "an external InfluxDB with a secret token, Flagsmith on Kubernetes",
                options: { config: external, secretConfig: { influxdbToken: EXTERNAL_TOKEN } },
                randomPasswords: 2,
            },
        ];
        for (const c of cases) {
            for (const preview of [false, true]) {
                if (preview && !c.options.secretConfig) {
                    continue; // nothing generated is known in a preview: the secret-config cases cover previews
                }
                it(`on ${c.label} (${preview ? "preview" : "up"})`, async function () {
                    const { result: run, logs } = await captured(() =>
                        runProgram(program, { stack: "audit", ...c.options, preview, mocks: programMocks() }),
                    );
                    const secrets = new Map<string, string>();
                    for (const [key, value] of Object.entries(c.options.secretConfig ?? {})) {
                        secrets.set(`secret config ${key}`, String(value));
                    }
                    if (!preview) {
                        for (const r of run.byType(TYPES.randomPassword)) {
                            secrets.set(`RandomPassword ${r.name}`, generatedSecret(r.name));
                        }
                        for (const r of run.byType(TYPES.authorization)) {
                            secrets.set(`Authorization ${r.name} token`, mockToken(r.name));
                        }
                        assert.strictEqual(run.byType(TYPES.randomPassword).length, c.randomPasswords);
                        assert.strictEqual(run.byType(TYPES.authorization).length, 1);
                    }
                    assert.ok(secrets.size > 0);
                    const exposure = await programExposure(run, logs);
                    assert.ok(exposure.size > 2 * run.resources.length, "URNs, IDs, code, outputs and logs collected");
                    assert.deepStrictEqual(beyondSdkDebug(programHits(run, exposure, secrets)), []);

                    // Not vacuous: the token is there, in the secret stack output.
                    const flagsmithEnv = run.result.flagsmithEnv as pulumi.Input<Record<string, string>>;
                    const env = await resolveOutput(pulumi.output(flagsmithEnv));
                    assert.strictEqual(env.secret, true);
                    if (!preview) {
                        assert.strictEqual(env.value?.INFLUXDB_TOKEN, mockToken("analytics-flagsmith-token"));
                    }
                });
            }
        }
    });

    describe("the providers through the host against the stand-in", function () {
        let standIn: InfluxStandIn;
        let host: ProviderHost;
        const exposure = new Exposure();
        const secrets = new Map<string, string>();
        const steps: string[] = [];
        const failures: string[] = [];
        const tokenStates: ResourceState[] = [];
        let providerCode: Record<string, string> = {};
        let processLogs: LogEntry[] = [];

        /** Every token the stand-in holds now: its operator token and every Authorization's, the real ones. */
        const harvestTokens = () => {
            for (const a of standIn.authorizations()) {
                secrets.set(`token of authorization ${a.id} (${a.description ?? ""})`, a.token);
            }
        };

        before(async function () {
            standIn = await InfluxStandIn.start();
            secrets.set("the stand-in's operator token", standIn.operatorToken!);
            secrets.set("a wrong token", WRONG_TOKEN);
            const connection = (token: string): ConnectionArgs => ({
                url: standIn.url,
                token: pulumi.secret(token),
                operationTimeoutSeconds: 3,
                readyTimeoutSeconds: 3,
            });
            const resources = await serializedResources(
                connection(standIn.operatorToken!),
                standIn.orgId!,
                standIn.orgName!,
            );
            const wrong = await serializedResources(connection(WRONG_TOKEN), standIn.orgId!, standIn.orgName!);
            providerCode = Object.fromEntries(
                Object.entries(resources).map(([type, r]) => [type, String(r.inputs.__provider)]),
            );
            host = await ProviderHost.start();
            const engine = new Engine(host);
            const input = (type: ResourceType, fields: Props = {}) => ({ ...resources[type].inputs, ...fields });
            const opts = (type: ResourceType) => ({ additionalSecretOutputs: resources[type].additionalSecretOutputs });

            const capture = new LogCapture().start();
            try {
                const up = async (step: string, type: ResourceType, name: string, fields: Props = {}) => {
                    const { state } = await engine.up(urnOf(type, name), input(type, fields), opts(type));
                    steps.push(step);
                    addState(exposure, step, state);
                    harvestTokens();
                    return state;
                };
                const refresh = async (step: string, type: ResourceType, name: string) => {
                    const state = await engine.refresh(urnOf(type, name));
                    assert.ok(state, `${step}: gone`);
                    steps.push(step);
                    addState(exposure, step, state);
                };
                const fail = async (step: string, op: () => Promise<unknown>, secretKeys: string[] = []) => {
                    const error = await op().then(
                        () => undefined,
                        (e: unknown) => e,
                    );
                    assert.ok(error instanceof Error, `${step}: did not fail`);
                    steps.push(step);
                    failures.push(`${step}: ${error.message}`);
                    addError(exposure, step, error, secretKeys);
                    harvestTokens();
                };
                const down = async (fn: () => Promise<void>) => {
                    await standIn.down();
                    try {
                        await fn();
                    } finally {
                        await standIn.up();
                    }
                };

                // Create, update, refresh.
                await up("create organization lookup", "Organization", "org");
                await up("create bucket", "Bucket", "raw");
                await up("update bucket", "Bucket", "raw", { retentionSeconds: 86400, description: "raw" });
                await refresh("refresh bucket", "Bucket", "raw");
                await up("create task", "Task", "task");
                await up("update task", "Task", "task", { status: "inactive" });
                await refresh("refresh task", "Task", "task");
                tokenStates.push(await up("create token", "Authorization", "token"));
                tokenStates.push(await up("update token", "Authorization", "token", { description: "audit (2)" }));
                await refresh("refresh token", "Authorization", "token");
                tokenStates.push(
                    await up("replace token", "Authorization", "token", {
                        description: "audit (2)",
                        permissions: READ_WRITE,
                    }),
                );

                // Failing operations.
                await fail("create a bucket whose name is taken (422 conflict)", () =>
                    engine.up(urnOf("Bucket", "dup"), input("Bucket"), opts("Bucket")),
                );
                await fail("create a task with a wrong token (401)", () =>
                    engine.up(urnOf("Task", "wrong"), wrong.Task.inputs, opts("Task")),
                );
                await fail("update the token while the server answers 503", async () => {
                    standIn.injectFault("PATCH /api/v2/authorizations/{authID}", "503", 100);
                    try {
                        const fields = { description: "audit (3)", permissions: READ_WRITE };
                        await engine.up(
                            urnOf("Authorization", "token"),
                            input("Authorization", fields),
                            opts("Authorization"),
                        );
                    } finally {
                        standIn.clearFaults();
                    }
                });
                await fail(
                    ADOPT_FAILS,
                    async () => {
                        standIn.outOfBand.createBucket({ name: "audit-adopted" });
                        standIn.injectFault("PATCH /api/v2/buckets/{bucketID}", "503", 100);
                        try {
                            const fields = { name: "audit-adopted", adopt: true, retentionSeconds: 7200 };
                            await engine.up(urnOf("Bucket", "adopted"), input("Bucket", fields), opts("Bucket"));
                        } finally {
                            standIn.clearFaults();
                        }
                    },
                    // What the engine stores as secret: secret inputs (connection) and additionalSecretOutputs.
                    ["connection", ...resources.Bucket.additionalSecretOutputs],
                );
                await fail("create a token while the server is down", () =>
                    down(async () => {
                        await engine.up(urnOf("Authorization", "down"), input("Authorization"), opts("Authorization"));
                    }),
                );
                await fail("refresh the token while the server is down", () =>
                    down(async () => {
                        await engine.refresh(urnOf("Authorization", "token"));
                    }),
                );
                await fail("delete the bucket while the server is down", () =>
                    down(() => engine.destroy(urnOf("Bucket", "raw"))),
                );

                // Delete.
                for (const [type, name] of [
                    ["Authorization", "token"],
                    ["Task", "task"],
                    ["Bucket", "raw"],
                    ["Organization", "org"],
                ] as const) {
                    await engine.destroy(urnOf(type, name));
                    steps.push(`delete ${type.toLowerCase()}`);
                }
            } finally {
                processLogs = capture.stop();
            }
            addLogs(exposure, "log output of this process during the provider operations", processLogs);
            // The plugin writes asynchronously: wait until it has logged the last failure.
            await settled(() => host.output().includes("cannot reach InfluxDB"));
        });
        after(async () => {
            await host?.stop();
            await standIn?.stop();
        });

        it("went through create, update, refresh, replace, seven failing operations and delete", function () {
            assert.strictEqual(steps.length, 11 + 7 + 4, steps.join("\n"));
            assert.strictEqual(failures.length, 7);
            assert.match(failures[0], /already exists/);
            assert.match(failures[1], /HTTP 401/);
            assert.match(failures[2], /HTTP 503/);
            assert.match(failures[3], /update bucket "audit-adopted" failed: .*HTTP 503/);
            assert.match(failures[4], /cannot reach InfluxDB/);
            assert.deepStrictEqual(initFailures, [ADOPT_FAILS]);
            assert.strictEqual(standIn.buckets().filter((b) => b.name === "audit-raw").length, 0, "deleted");
        });

        it("searched the real tokens: the operator token and every Authorization token the stand-in generated", function () {
            const generated = new Set(tokenStates.map((s) => s.outputs.token as string));
            assert.strictEqual(generated.size, 2, "create and replace made two tokens");
            for (const token of generated) {
                assert.ok([...secrets.values()].includes(token), "the searched secrets include each generated token");
            }
            // They are in the state, marked secret, as is the connection with the operator token.
            for (const s of tokenStates) {
                assert.ok(s.secretOutputs.includes("token") && s.secretOutputs.includes("connection"));
                assert.strictEqual((s.outputs.connection as Props).token, standIn.operatorToken);
            }
        });

        it("persists none in plain text in the state (IDs, non-secret inputs and outputs) after any step", function () {
            assert.deepStrictEqual(
                exposure.find(secrets).filter((h) => h.includes(" in state after ")),
                [],
            );
        });

        it("shows none in the error messages of the failed operations", function () {
            assert.deepStrictEqual(
                exposure.find(secrets).filter((h) => h.includes(" in error of ")),
                [],
            );
        });

        it("prints none on the plugin's stdout/stderr or in this process's log output", function () {
            assert.match(host.output(), /cannot reach InfluxDB/, "the plugin logged the failed read and delete");
            const output = new Exposure();
            output.add("the plugin's stdout/stderr", host.output());
            assert.deepStrictEqual(output.find(secrets), []);
            assert.deepStrictEqual(
                exposure.find(secrets).filter((h) => h.includes(" in log output ")),
                [],
            );
        });

        it("captures none in the serialized provider code", function () {
            const code = new Exposure();
            for (const [type, text] of Object.entries(providerCode)) {
                assert.ok(text.length > 1000, `${type} provider code`);
                code.add(`__provider of ${type}`, text);
            }
            assert.deepStrictEqual(code.find(secrets), []);
        });
    });

    describe("the audit can fail: planted plain-text copies are found", function () {
        let standIn: InfluxStandIn;
        let host: ProviderHost;
        const planted = new Map([["the planted value", PLANTED]]);

        before(async function () {
            standIn = await InfluxStandIn.start();
            host = await ProviderHost.start();
        });
        after(async () => {
            await host?.stop();
            await standIn?.stop();
        });

        it("in a resource input, a stack output and the log output of a mocked run, not where secret", async function () {
            const { result: run, logs } = await captured(() =>
                runProgram(async () => {
                    const connection = { url: "http://127.0.0.1:9", token: pulumi.secret(PLANTED) };
                    new Bucket("planted", { connection, orgId: "0123456789abcdef", name: "x", description: PLANTED });
                    await pulumi.log.warn(`about to leak ${PLANTED}`);
                    await pulumi.log.debug(`our own debug line: ${PLANTED}`);
                    return { shown: PLANTED, hidden: pulumi.secret(PLANTED) } as Outputs;
                }),
            );
            const hits = programHits(run, await programExposure(run, logs), planted);
            assert.deepStrictEqual(
                beyondSdkDebug(hits).map((h) => h.replace(/urn:pulumi:.*?(?=: (inputs|outputs)\.)/, "<urn>")),
                [
                    "the planted value in <urn>: inputs.description",
                    "the planted value in <urn>: outputs.description",
                    "the planted value in stack output shown",
                    "the planted value in log output of the program (console, stdout, stderr, pulumi.log info/warn/error)",
                    'the planted value in log output of the program (debug line "our own debug line")',
                ],
            );
            // The SDK's RPC-response debug lines do show secret-marked values (the connection token): known, apart.
            assert.ok(hits.some((h) => h.includes("(SDK RPC response debug line")));
        });

        it("in the state, an error message and the plugin's output of provider operations", async function () {
            const engine = new Engine(host);
            const run = await runProgram(() => {
                new Bucket("b", {
                    connection: {
                        url: standIn.url,
                        token: pulumi.secret(standIn.operatorToken!),
                        operationTimeoutSeconds: 3,
                    },
                    orgId: standIn.orgId!,
                    name: PLANTED,
                });
            });
            const inputs = run.resources[0].rawInputs;
            const exposure = new Exposure();
            addState(exposure, "create", (await engine.up(urnOf("Bucket", "a"), inputs)).state);
            addError(
                exposure,
                "conflict",
                await engine.up(urnOf("Bucket", "b"), inputs).then(
                    () => assert.fail("no conflict"),
                    (e: unknown) => e,
                ),
            );
            // The plugin logs failed reads and deletes (not creates): delete the bucket while the server is down.
            await standIn.down();
            const deleteError = await engine.destroy(urnOf("Bucket", "a")).then(
                () => assert.fail("deleted while down"),
                (e: unknown) => e,
            );
            await standIn.up();
            await settled(() => host.output().includes("cannot reach InfluxDB"));
            addError(exposure, "delete while down", deleteError);
            exposure.add("the plugin's stdout/stderr", host.output());
            exposure.add("__provider of Bucket", inputs.__provider);
            const where = exposure.find(planted).map((h) => h.replace(/urn:\S+/, "<urn>").split(" in ")[1]);
            assert.deepStrictEqual(where, [
                "state after create: inputs of <urn>",
                "state after create: outputs of <urn>",
                "error of conflict: message",
                "error of conflict: gRPC details",
                "error of delete while down: message",
                "error of delete while down: gRPC details",
                "the plugin's stdout/stderr",
            ]);
            // The serialized code is searched for real: it holds the stub's own text.
            // (The state's inputs and outputs carry it too, and are searched with it.)
            assert.deepStrictEqual(
                exposure.find(new Map([["code", "dynamic-providers/host"]])).map((h) => h.replace(/urn:\S+/, "<urn>")),
                [
                    "code in state after create: inputs of <urn>",
                    "code in state after create: outputs of <urn>",
                    "code in __provider of Bucket",
                ],
            );
            // A secret-marked copy is not a leak: the operator token is in the (secret) connection only.
            assert.deepStrictEqual(exposure.find(new Map([["operator token", standIn.operatorToken!]])), []);
            await engine.destroy(urnOf("Bucket", "a"));
        });
    });
});
