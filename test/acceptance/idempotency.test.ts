// What `pulumi up`, then `pulumi preview --expect-no-changes`, then `pulumi refresh --expect-no-changes` (README,
// "Checking a deployment") can rely on, proven offline:
// - the whole program (index.ts), with every dynamic resource type (Organization, Bucket, Task, Authorization,
//   Backfill) run through the real dynamic-provider host against the InfluxDB stand-in (or a real InfluxDB 2 when
//   INFLUXDB_TEST_URL / INFLUXDB_TEST_TOKEN are set): after an up, a preview plans no change and sends no request, a
//   refresh reads back what was written and the engine's refresh diff is empty, and a second up changes nothing;
// - resource names and inputs are the same on every run: no clock or randomness reaches them (generated credentials
//   come from @pulumi/random, whose results live in the state).
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { LISTING_REUSE_MS } from "../../dynamic-providers/listings";
import { startTestTarget, TestTarget } from "../harness/influx-standin";
import { LiveStack, opsByName } from "../harness/live-engine";
import { MockRun, resolveOutputs, runProgram } from "../harness/mocks";
import { programMocks } from "../harness/program-mocks";
import { ProviderHost, ResourceState } from "../harness/provider-host";

type Outputs = Record<string, unknown>;
const program = (): Promise<Outputs> => (require("../../index") as () => Promise<Outputs>)();
const DYNAMIC_TYPES = ["Organization", "Bucket", "Task", "Authorization", "Backfill"];

describe("idempotency: up, then preview and refresh with no changes", function () {
    this.timeout(120_000);
    let target: TestTarget;
    let host: ProviderHost;
    let stack: LiveStack;

    before(async function () {
        target = await startTestTarget();
        host = await ProviderHost.start();
        // Unique names, so the suite can also run against a long-lived real server.
        const bucket = `idem_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
        stack = new LiveStack(host, {
            stack: "idempotency",
            config: {
                platform: "external",
                bucket,
                influxdb: { url: target.url, org: target.orgName, bucket },
                backfill: { enabled: true, range: "2d" },
                flagsmith: { enabled: false },
            },
            secretConfig: { influxdbToken: target.token },
        });
    });
    afterEach(() => target.standIn?.assertNoContractViolations());
    after(async function () {
        await stack?.destroy().catch(() => undefined);
        await host?.stop();
        await target?.stop();
    });

    const dynamicStates = (): ResourceState[] =>
        stack
            .state()
            .filter((r) => r.dynamic)
            .map((r) => stack.engine.state(r.urn)!);
    const writes = (): string[] =>
        Object.keys(target.standIn?.requestCounts() ?? {}).filter((route) => !/^(GET|HEAD) /.test(route));

    let first: MockRun<Outputs>;

    it("a first up creates every dynamic resource type of the program", async function () {
        const { run, steps } = await stack.up(program);
        first = run;
        const ops = opsByName(steps);
        assert.ok(
            Object.values(ops).every((op) => op === "create"),
            JSON.stringify(ops),
        );
        const types = new Set(steps.map((s) => s.type.split(":").pop()));
        assert.deepStrictEqual([...types].sort(), [...DYNAMIC_TYPES].sort());
        // org lookup, 3 buckets, 4 tasks, the token, a backfill per task
        assert.strictEqual(steps.length, 13);
    });

    it("preview --expect-no-changes: every resource is the same; the only request is the organization probe's", async function () {
        target.standIn?.resetCounts();
        const { steps } = await stack.preview(program);
        assert.strictEqual(steps.length, 13);
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "same").map((s) => `${s.name}: ${s.op}`),
            [],
        );
        // The probe asks whether the server is still the one the stack deployed into (a read, at every preview).
        assert.deepStrictEqual(target.standIn?.requestCounts() ?? {}, target.standIn ? { "GET /api/v2/orgs": 1 } : {});
    });

    it("refresh --expect-no-changes: reads back what was written; the provider's Diff against the program is empty", async function () {
        const before = new Map(dynamicStates().map((s) => [s.urn, s]));
        // On a live deployment the tasks run between two refreshes: their run outputs change, which is no change.
        const taskIds = stack.state().filter((r) => r.type.endsWith(":Task"));
        for (const t of taskIds) {
            target.standIn?.outOfBand.recordTaskRun(stack.engine.state(t.urn)!.id, { status: "success" });
        }
        target.standIn?.resetCounts();
        const steps = await stack.refresh();
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "refresh").map((s) => `${s.name}: ${s.op}`),
            [],
        );
        assert.deepStrictEqual(writes(), [], "a refresh only reads");
        for (const after of dynamicStates()) {
            const old = before.get(after.urn)!;
            assert.strictEqual(after.id, old.id, after.urn);
            // What Pulumi reports for a refresh: the provider's Diff of the state read back (olds) against the
            // inputs the program gave (news). Output-only fields such as a task's last run are not a change.
            const diff = await host.diff(after.id, after.urn, after.outputs, old.inputs, after.inputs);
            assert.deepStrictEqual(diff, { changes: "DIFF_NONE", replaces: [], deleteBeforeReplace: false }, after.urn);
            if (target.standIn && after.urn.includes(":Task::")) {
                assert.strictEqual(after.outputs.lastRunStatus, "success", "the task health output is fresh");
            }
            // And nothing the program declared was read back different.
            for (const [key, value] of Object.entries(old.inputs)) {
                if (key in after.inputs) {
                    assert.deepStrictEqual(after.inputs[key], value, `${after.urn}: input ${key}`);
                }
            }
        }
    });

    it("after the refresh, preview and up change nothing, send only the probe's lookups, and export the same outputs", async function () {
        target.standIn?.resetCounts();
        const preview = await stack.preview(program);
        assert.ok(
            preview.steps.every((s) => s.op === "same"),
            JSON.stringify(opsByName(preview.steps)),
        );
        const { run, steps } = await stack.up(program);
        assert.ok(
            steps.every((s) => s.op === "same"),
            JSON.stringify(opsByName(steps)),
        );
        assert.deepStrictEqual(target.standIn?.requestCounts() ?? {}, target.standIn ? { "GET /api/v2/orgs": 2 } : {});
        const outputs = await resolveOutputs(run.result);
        const firstOutputs = await resolveOutputs(first.result);
        // Only the task health differs: it reports the runs recorded before the refresh.
        assert.deepStrictEqual({ ...outputs, taskHealth: undefined }, { ...firstOutputs, taskHealth: undefined });
    });

    it("the same refresh check does report drift: a retention changed outside Pulumi", async function () {
        if (!target.standIn) this.skip();
        const raw = stack.dynamicState("Bucket", "analytics-raw")!;
        target.standIn.outOfBand.updateBucket(raw.id, { retentionSeconds: 7 * 86_400 });
        // A plugin process serves one Pulumi command; this one serves them all, so let the listings that the last
        // refresh's reads shared expire first, as they would with the process.
        await new Promise((resolve) => setTimeout(resolve, LISTING_REUSE_MS + 100));
        await stack.refresh();
        const after = stack.engine.state(raw.urn)!;
        const diff = await host.diff(after.id, after.urn, after.outputs, raw.inputs, after.inputs);
        assert.strictEqual(diff.changes, "DIFF_SOME");
        // `pulumi up` puts the declared retention back.
        const { steps } = await stack.up(program);
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "same").map((s) => `${s.name}: ${s.op}`),
            ["analytics-raw: update"],
        );
    });
});

describe("idempotency: stable names, no randomness outside @pulumi/random", function () {
    this.timeout(60_000);
    const root = path.join(__dirname, "..", "..");
    const CLOCK_OR_RANDOM =
        /\bMath\.random\b|\brandom(?:UUID|Bytes|Int|Fill)\w*\b|\bgetRandomValues\b|\bDate\.now\b|\bnew Date\(\s*\)|\bperformance\.now\b|\bhrtime\b/;

    /**
     * The program's own files: index.ts and every file of components/ it imports, directly or not. (components/
     * also holds `doctor.ts`, the operator's command, which reads the clock and is no part of the program.)
     */
    function programFiles(): string[] {
        const seen = new Set<string>();
        const visit = (file: string) => {
            if (seen.has(file)) return;
            seen.add(file);
            const text = fs.readFileSync(path.join(root, file), "utf8");
            for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
                const target = path.normalize(path.join(path.dirname(file), m[1])) + ".ts";
                if (target === "index.ts" || target.startsWith(`components${path.sep}`)) visit(target);
            }
        };
        visit("index.ts");
        return [...seen].sort();
    }
    const uses = (file: string): string[] =>
        fs
            .readFileSync(path.join(root, file), "utf8")
            .split("\n")
            .map((line, i) => ({ line: line.replace(/\/\/.*$/, ""), i }))
            .filter(({ line }) => CLOCK_OR_RANDOM.test(line))
            .map(({ line, i }) => `${file}:${i + 1}: ${line.trim()}`);

    it("the program's own code (index.ts and the components it imports) reads no clock and no randomness", function () {
        const files = programFiles();
        assert.ok(files.length > 10, files.join());
        assert.ok(files.includes(path.join("components", "settings", "stack.ts")), "follows imports down");
        assert.ok(!files.includes(path.join("components", "doctor.ts")), "the doctor is not part of the program");
        assert.deepStrictEqual(files.flatMap(uses), []);
        // The check itself finds what it is for.
        assert.ok(CLOCK_OR_RANDOM.test("const suffix = Math.random().toString(36)"));
        assert.ok(CLOCK_OR_RANDOM.test("name: `b-${Date.now()}`"));
        assert.ok(CLOCK_OR_RANDOM.test("crypto.randomUUID()"));
        assert.ok(!CLOCK_OR_RANDOM.test("new random.RandomPassword(`${name}-admin-token`, { length: 64 })"));
    });

    describe("the same resources, names and inputs on every run, whatever the clock and Math.random say", function () {
        const realRandom = Math.random;
        const RealDate = Date;
        const realRandomBytes = crypto.randomBytes;
        const realRandomUUID = crypto.randomUUID;
        /** Runs `fn` with the clock moved by `offsetMs` and randomness seeded by `seed`. */
        async function skewed<T>(offsetMs: number, seed: number, fn: () => Promise<T>): Promise<T> {
            let x = seed;
            const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
            class SkewedDate extends RealDate {
                constructor(...args: ConstructorParameters<DateConstructor> | []) {
                    if (args.length === 0) {
                        super(RealDate.now() + offsetMs);
                    } else {
                        super(...(args as [number]));
                    }
                }
                static now(): number {
                    return RealDate.now() + offsetMs;
                }
            }
            Math.random = next;
            globalThis.Date = SkewedDate as DateConstructor;
            // The module object itself (an `import *` namespace is a copy).
            const c = require("crypto") as Record<string, unknown>;
            c.randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
            c.randomUUID = () => crypto.createHash("sha256").update(String(next())).digest("hex");
            try {
                return await fn();
            } finally {
                Math.random = realRandom;
                globalThis.Date = RealDate;
                c.randomBytes = realRandomBytes;
                c.randomUUID = realRandomUUID;
            }
        }
        /** Type, name, parent, inputs and options of every resource, as the engine would receive them. */
        const registrations = (r: MockRun<Outputs>) =>
            JSON.stringify(
                r.resources.map((x) => ({
                    urn: x.urn,
                    parent: x.parent,
                    inputs: x.rawInputs,
                    options: x.options,
                    dependencies: x.dependencies,
                })),
            );

        const stacks: [string, Record<string, unknown>, Record<string, unknown>][] = [
            ["docker", { platform: "docker", backfill: { enabled: true } }, {}],
            ["kubernetes", { platform: "kubernetes" }, {}],
            [
                "external",
                {
                    platform: "external",
                    influxdb: { url: "http://influx.internal:8086", org: "acme", bucket: "default" },
                    flagsmith: { enabled: false },
                },
                { influxdbToken: "operator-token" },
            ],
        ];
        for (const [platform, config, secretConfig] of stacks) {
            it(`${platform}: two runs a year apart with different random seeds register the same resources`, async function () {
                const run = (offset: number, seed: number) =>
                    skewed(offset, seed, () =>
                        runProgram(program, { config, secretConfig, stack: "pr-42", mocks: programMocks() }),
                    );
                const a = await run(0, 1);
                const b = await run(365 * 86_400_000, 7);
                assert.ok(a.resources.length >= 10, `${a.resources.length} resources`);
                assert.strictEqual(registrations(b), registrations(a));
                // Names follow the stack (so stacks can share a server) and nothing else.
                const c = await runProgram(program, { config, secretConfig, stack: "pr-43", mocks: programMocks() });
                assert.strictEqual(registrations(c).replace(/pr-43/g, "pr-42"), registrations(a));
            });
        }
    });
});
