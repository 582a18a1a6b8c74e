// `npm run bench [-- --rtt MS] [--out FILE] [--compare FILE] [--help]`: what a pulumi up, preview, refresh and destroy
// cost, against the physical limit. Prints a table and writes it as JSON (default bench-results.json); exits 1 when a
// target is missed, naming it, and 2 on a bad command line (test/bench/args.ts).
//
// The serialized providers run in the real dynamic-provider plugin (provider-host.ts), driven by a stack that runs
// the program under mocks and operates in parallel as the Pulumi engine does (live-engine.ts), against the InfluxDB
// stand-in with a fixed round-trip time injected into every request. Offline, like the tests.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as fs from "fs";
import * as path from "path";
import { execSync } from "child_process";
import { parse } from "yaml";
import { InfluxAnalytics } from "../../components/analytics";
import { Authorization } from "../../dynamic-providers/authorization";
import { Backfill } from "../../dynamic-providers/backfill";
import { Bucket } from "../../dynamic-providers/bucket";
import { Organization } from "../../dynamic-providers/organization";
import { Task } from "../../dynamic-providers/task";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";
import { LiveStack, standInInflux } from "../harness/live-engine";
import { runProgram } from "../harness/mocks";
import { howReported } from "../harness/user-errors";
import { programMocks } from "../harness/program-mocks";
import { captureDynamicResources, Engine, ProviderHost } from "../harness/provider-host";
import { parseBenchArgs, USAGE } from "./args";
import { benchVerdict, compareResults, PhaseFigures, phaseFigures, Target, target } from "./figures";

const ROOT = path.resolve(__dirname, "../..");

const ARGS = parseBenchArgs(process.argv.slice(2), process.env);
if (ARGS.kind === "help") {
    console.log(USAGE);
    process.exit(0);
}
if (ARGS.kind === "error") {
    console.error(`npm run bench: ${ARGS.message}`);
    process.exit(2);
}
const RTT_MS = ARGS.options.rttMs;
const OUT = ARGS.options.out ?? path.join(ROOT, "bench-results.json");
const COMPARE = ARGS.options.compare;
/** The results file given to --compare, read now so that a bad one is refused before anything runs. */
const BEFORE = COMPARE === undefined ? undefined : previousResults(COMPARE);

function previousResults(file: string): { commit?: string } {
    try {
        const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
            return parsed as { commit?: string };
        }
        throw new Error("it does not hold a JSON object");
    } catch (e) {
        console.error(
            `npm run bench: --compare ${file}: not a results file of npm run bench (${(e as Error).message})`,
        );
        return process.exit(2);
    }
}

type Phase = "create" | "preview (no-op)" | "up (no-op)" | "refresh" | "destroy";

/**
 * The fewest round trips each phase needs given the dependency graph: create = org lookup, then the buckets, then
 * the tasks and the token (all at once per level); a no-op preview or up needs none; refresh reads everything at
 * once; destroy deletes the tasks and the token, then the buckets (the organization is only looked up).
 */
const LIMIT_ROUND_TRIPS: Record<Phase, number> = {
    create: 3,
    "preview (no-op)": 0,
    "up (no-op)": 0,
    refresh: 1,
    destroy: 2,
};

interface Scenario {
    readonly name: string;
    readonly buckets: number;
    readonly tasks: number;
    readonly tokens: number;
    readonly program: (s: InfluxStandIn) => () => unknown;
}

const flux = (name: string, from: string, to: string) =>
    `option task = {name: "${name}", every: 1h}\n\nfrom(bucket: "${from}")\n    |> range(start: -task.every)\n    |> aggregateWindow(every: 1h, fn: sum)\n    |> to(bucket: "${to}")\n`;

const SCENARIOS: Scenario[] = [
    {
        name: "default analytics set",
        buckets: 3,
        tasks: 4,
        tokens: 1,
        // What index.ts builds on the InfluxDB side: InfluxAnalytics with its defaults.
        program: (s) => () => new InfluxAnalytics("analytics", { influx: standInInflux(standInTarget(s)) }),
    },
    {
        name: "large stack",
        buckets: 50,
        tasks: 200,
        tokens: 1,
        program: (s) => () => {
            const influx = standInInflux(standInTarget(s));
            const connection = { url: influx.managementUrl, token: influx.adminToken };
            const common = { connection, orgId: influx.orgId };
            const buckets = Array.from(
                { length: 50 },
                (_, i) => new Bucket(`bucket-${i}`, { ...common, name: `bench-${i}`, retentionSeconds: 30 * 86400 }),
            );
            for (let j = 0; j < 200; j++) {
                const [from, to] = [j % 50, (j + 1) % 50];
                new Task(
                    `task-${j}`,
                    { ...common, flux: flux(`bench task ${j}`, `bench-${from}`, `bench-${to}`) },
                    { dependsOn: [buckets[from], buckets[to]] },
                );
            }
            new Authorization("token", {
                ...common,
                description: "bench",
                permissions: buckets.map((b) => ({ action: "read" as const, resource: { type: "buckets", id: b.id } })),
            });
        },
    },
];

interface ScenarioResult {
    readonly resources: number;
    /** The program alone under plain mocks (no plugin, no server): the SDK's share of every phase's wall time. */
    readonly programOnlyMs: number;
    readonly phases: Record<Phase, PhaseFigures>;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
    const start = performance.now();
    const result = await fn();
    return [result, performance.now() - start];
}

async function runScenario(host: ProviderHost, scenario: Scenario): Promise<ScenarioResult> {
    const standIn = await InfluxStandIn.start({ faults: { latencyMs: RTT_MS } });
    try {
        const program = scenario.program(standIn);
        const programOnlyMs = (await evaluation(program, {}, 3)).medianMs;
        const stack = new LiveStack(host, { stack: scenario.name.replace(/\W+/g, "-"), parallel: true });
        const phases = {} as Record<Phase, PhaseFigures>;
        const measure = async (phase: Phase, fn: () => Promise<unknown>) => {
            standIn.resetCounts();
            const [, ms] = await timed(fn);
            phases[phase] = phaseFigures(standIn.requestLog(), ms, LIMIT_ROUND_TRIPS[phase], RTT_MS);
        };
        await measure("create", () => stack.up(program));
        await measure("preview (no-op)", () => stack.preview(program));
        await measure("up (no-op)", () => stack.up(program));
        await measure("refresh", () => stack.refresh());
        const resources = stack.state().filter((r) => r.dynamic).length;
        await measure("destroy", () => stack.destroy());
        standIn.assertNoContractViolations();
        return { resources, programOnlyMs, phases };
    } finally {
        await standIn.stop();
    }
}

/**
 * How long after InfluxDB starts answering the first API call reaches it: the server is down while an
 * Organization lookup starts, then comes up after `downMs`.
 */
async function readinessLag(host: ProviderHost, downMs: readonly number[]): Promise<number[]> {
    const standIn = await InfluxStandIn.start();
    const t = standInTarget(standIn);
    const [org] = await captureDynamicResources(() => {
        new Organization("org", { connection: { url: t.url, token: pulumi.secret(t.token) }, name: t.orgName });
    });
    const lags: number[] = [];
    try {
        for (const [i, ms] of downMs.entries()) {
            await standIn.down();
            standIn.resetCounts();
            const lookup = new Engine(host).up(`urn:pulumi:bench::p::pulumi-nodejs:dynamic:Resource::org-${i}`, {
                ...org.inputs,
            });
            await new Promise((resolve) => setTimeout(resolve, ms));
            const upAt = performance.now();
            await standIn.up();
            await lookup;
            lags.push(standIn.requestLog()[0].startMs - upAt);
        }
    } finally {
        await standIn.stop();
    }
    return lags;
}

/** Bytes of `__provider` per dynamic resource kind, as serialized for the engine. */
async function serializedSizes(): Promise<Record<string, number>> {
    const connection = { url: "http://127.0.0.1:8086", token: pulumi.secret("bench-token") };
    const orgId = "0123456789abcdef";
    const captured = await captureDynamicResources(() => {
        new Organization("o", { connection, name: "org" });
        new Bucket("b", { connection, orgId, name: "b" });
        new Task("t", { connection, orgId, flux: flux("t", "a", "b") });
        new Authorization("a", {
            connection,
            orgId,
            description: "a",
            permissions: [{ action: "read", resource: { type: "buckets" } }],
        });
        new Backfill("f", { connection, orgId, flux: 'from(bucket: "a") |> range(start: -1h) |> to(bucket: "b")' });
    });
    return Object.fromEntries(
        captured.map((c) => [c.type.split(":").pop()!, Buffer.byteLength(c.inputs.__provider as string)]),
    );
}

/** How a program's run under mocks ended: the resources it registered, or the error it reported. */
interface Evaluation {
    readonly medianMs: number;
    readonly resources: number;
    /** `ok`, or how the error reaches the user: `RunError (message only)` or `... (with a stack trace)`, and its text. */
    readonly outcome: string;
}

/** How Pulumi's Node runtime shows an error the program throws, and the start of its message. */
function reported(e: unknown): string {
    const r = howReported(e);
    const message = r.message.replace(/\s+/g, " ").slice(0, 100);
    return `${r.kind} (${r.withoutStack ? "message only" : "with a stack trace"}): ${message}`;
}

/** One run of a program under mocks, ended by its result or its error: the time until Pulumi could report it. */
async function settle(program: () => unknown, options: Parameters<typeof runProgram>[1]) {
    try {
        const r = await runProgram(program, options);
        return { resources: r.resources.length, outcome: "ok" };
    } catch (e) {
        return { resources: 0, outcome: reported(e) };
    }
}

/** Median time of a program's run under mocks until it ends or fails, in ms (after one warm-up run). */
async function evaluation(
    program: () => unknown,
    options: Parameters<typeof runProgram>[1],
    runs = 7,
): Promise<Evaluation> {
    await settle(program, options);
    const times: number[] = [];
    let last = { resources: 0, outcome: "" };
    for (let i = 0; i < runs; i++) {
        const [r, ms] = await timed(() => settle(program, options));
        times.push(ms);
        last = r;
    }
    times.sort((a, b) => a - b);
    return { medianMs: times[Math.floor(times.length / 2)], ...last };
}

function stackConfig(file: string): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as { config?: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(doc.config ?? {}).map(([k, v]) => [k.replace(/^flagsmith-influxdb:/, ""), v]),
    );
}

async function programEvaluation(): Promise<Record<string, Evaluation>> {
    const main = () => (require("../../index") as () => Promise<unknown>)();
    const mocks = programMocks();
    const docker = stackConfig("Pulumi.dev.yaml");
    return {
        "baseline (one RandomString)": await evaluation(() => new random.RandomString("one", { length: 8 }), {
            mocks,
        }),
        docker: await evaluation(main, { config: docker, mocks }),
        // The time until a bad setting is reported, beside the good config above.
        "docker, one bad setting (retention.raw: 5m)": await evaluation(main, {
            config: { ...docker, retention: { raw: "5m" } },
            mocks,
        }),
        kubernetes: await evaluation(main, { config: stackConfig("Pulumi.k8s.example.yaml"), mocks }),
        external: await evaluation(main, {
            config: stackConfig("Pulumi.external.example.yaml"),
            secretConfig: { influxdbToken: "bench-operator-token" },
            mocks,
        }),
    };
}

/**
 * Waits in the program and provider code other than the retry's backoff after a failure (there should be none;
 * a timer that only guards against a hang, like the Flux analyzer's, is not a wait).
 */
function fixedSleeps(): string[] {
    return ["dynamic-providers", "components"].flatMap((dir) =>
        fs
            .readdirSync(path.join(ROOT, dir))
            .filter((f) => f.endsWith(".ts") && f !== "retry.ts")
            .filter((f) =>
                /setTimeout\(\s*(resolve|r)\b|\bsleep\(/.test(fs.readFileSync(path.join(ROOT, dir, f), "utf8")),
            )
            .map((f) => `${dir}/${f}`),
    );
}

/** The plugin's first Check of a task: it loads ts-node, the providers and the Flux analyzer (once per command). */
async function coldStart(host: ProviderHost): Promise<number> {
    const [task] = await captureDynamicResources(() => {
        new Task("cold", {
            connection: { url: "http://127.0.0.1:9", token: pulumi.secret("bench-token") },
            orgId: "0123456789abcdef",
            flux: flux("cold", "a", "b"),
        });
    });
    const [, ms] = await timed(() => new Engine(host).preview("urn:pulumi:bench::p::cold", task.inputs));
    return ms;
}

/** What the Terraform InfluxDB v2 providers do: create, then read back (2 requests per resource), no listing. */
function terraformReference(s: Scenario): Record<Phase, { requests: number; roundTrips: number }> {
    const n = s.buckets + s.tasks + s.tokens;
    return {
        create: { requests: 1 + 2 * n, roundTrips: 1 + 2 + 2 },
        // `terraform plan` refreshes every resource first.
        "preview (no-op)": { requests: 1 + n, roundTrips: 1 },
        "up (no-op)": { requests: 1 + n, roundTrips: 1 },
        refresh: { requests: 1 + n, roundTrips: 1 },
        destroy: { requests: n, roundTrips: 2 },
    };
}

/** A plain-text table; the first `left` columns are left-aligned, the others (figures) right-aligned. */
function table(header: string[], rows: string[][], left = 1): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i])));
    return [
        line(header).join("  "),
        widths.map((w) => "-".repeat(w)).join("  "),
        ...rows.map((r) => line(r).join("  ")),
    ]
        .map((l) => l.trimEnd())
        .join("\n");
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? "-" : n.toFixed(digits));

function commit(): string {
    try {
        return execSync("git rev-parse --short HEAD", { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
            .toString()
            .trim();
    } catch {
        return "unknown";
    }
}

async function main(): Promise<void> {
    const [host, hostStartMs] = await timed(() => ProviderHost.start());
    const scenarios: Record<string, ScenarioResult> = {};
    let lags: number[];
    let firstCheckMs: number;
    try {
        firstCheckMs = await coldStart(host);
        for (const s of SCENARIOS) {
            scenarios[s.name] = await runScenario(host, s);
        }
        lags = await readinessLag(host, [300, 1100, 1700, 2600, 3300]);
    } finally {
        await host.stop();
    }
    const sizes = await serializedSizes();
    const programs = await programEvaluation();
    const sleeps = fixedSleeps();

    const out: string[] = [];
    out.push(`flagsmith-influxdb benchmark: commit ${commit()}, node ${process.version}, RTT ${RTT_MS} ms per request`);
    out.push(
        `plugin start ${hostStartMs.toFixed(0)} ms; its first Check (loads ts-node, the providers and the Flux ` +
            `analyzer, once per command) ${firstCheckMs.toFixed(0)} ms; the phases below run on the warm plugin`,
    );
    for (const s of SCENARIOS) {
        const r = scenarios[s.name];
        const tf = terraformReference(s);
        out.push("");
        out.push(
            `${s.name}: ${s.buckets} buckets, ${s.tasks} tasks, ${s.tokens} token + the organization lookup ` +
                `(${r.resources} dynamic resources); the program alone under mocks takes ` +
                `${r.programOnlyMs.toFixed(0)} ms of each phase that runs it (create, preview, up)`,
        );
        out.push(
            table(
                [
                    "phase",
                    "requests",
                    "writes",
                    "critical RTs",
                    "wall ms",
                    "limit RTs",
                    "limit ms",
                    "wall/limit",
                    "terraform-style requests",
                    "terraform-style RTs",
                ],
                (Object.keys(LIMIT_ROUND_TRIPS) as Phase[]).map((phase) => {
                    const f = r.phases[phase];
                    return [
                        phase,
                        String(f.requests),
                        String(f.writes),
                        String(f.roundTrips),
                        fmt(f.wallMs),
                        String(f.limitRoundTrips),
                        String(f.limitMs),
                        f.ratio === undefined ? "-" : `${f.ratio.toFixed(1)}x`,
                        String(tf[phase].requests),
                        String(tf[phase].roundTrips),
                    ];
                }),
            ),
        );
        out.push(
            `  requests by route: ${(Object.keys(r.phases) as Phase[])
                .map((p) => `${p} ${JSON.stringify(r.phases[p].byRoute)}`)
                .join("; ")}`,
        );
    }

    const def = scenarios[SCENARIOS[0].name];
    const all = Object.values(scenarios);
    const targets: Target[] = [
        target(
            "no-op preview (Check + Diff): requests",
            "0",
            all.map((r) => r.phases["preview (no-op)"].requests).join(" / "),
            all.every((r) => r.phases["preview (no-op)"].requests === 0),
        ),
        target(
            "no-op up: write requests",
            "0",
            all.map((r) => r.phases["up (no-op)"].writes).join(" / "),
            all.every((r) => r.phases["up (no-op)"].writes === 0),
        ),
        target(
            "refresh: requests",
            "<= 1 per resource",
            all.map((r) => `${r.phases.refresh.requests} for ${r.resources}`).join(" / "),
            all.every((r) => r.phases.refresh.requests <= r.resources),
        ),
        target(
            "refresh: one listing per kind and org (+ the org read)",
            "<= 4",
            all.map((r) => r.phases.refresh.requests).join(" / "),
            all.every((r) => r.phases.refresh.requests <= 4),
        ),
        target(
            "create default set: requests",
            "<= 8 resources + 1 org lookup = 9",
            def.phases.create.requests,
            def.phases.create.requests <= 9,
        ),
        target(
            "create default set: round trips on the critical path",
            "<= 4",
            def.phases.create.roundTrips,
            def.phases.create.roundTrips <= 4,
        ),
        target(
            "readiness: first call after InfluxDB answers (worst of 5)",
            "<= 1000 ms",
            `${fmt(Math.max(...lags))} ms (mean ${fmt(lags.reduce((a, b) => a + b, 0) / lags.length)} ms)`,
            Math.max(...lags) <= 1000,
        ),
        target(
            "fixed sleeps in the program and providers (outside the retry backoff)",
            "none",
            sleeps.length === 0 ? "none" : sleeps.join(", "),
            sleeps.length === 0,
        ),
        ...Object.entries(sizes).map(([kind, bytes]) =>
            target(`serialized __provider: ${kind}`, "<= 4096 bytes", `${bytes} bytes`, bytes <= 4096),
        ),
    ];
    out.push("");
    out.push("targets");
    out.push(
        table(
            ["target", "goal", "measured", "met"],
            targets.map((t) => [t.name, t.goal, t.measured, t.met ? "yes" : "NO"]),
            4,
        ),
    );
    out.push("");
    out.push("program evaluation under mocks until it ends or reports an error (median of 7, after a warm-up)");
    out.push(
        table(
            ["program", "outcome", "resources", "ms"],
            Object.entries(programs).map(([name, p]) => [name, p.outcome, String(p.resources), p.medianMs.toFixed(1)]),
            2,
        ),
    );

    const results = {
        commit: commit(),
        date: new Date().toISOString(),
        node: process.version,
        rttMs: RTT_MS,
        hostStartMs,
        firstCheckMs,
        scenarios,
        readinessLagMs: lags,
        serializedProviderBytes: sizes,
        programEvaluation: programs,
        targets,
    };
    if (BEFORE) {
        const changes = compareResults(BEFORE, results);
        out.push("");
        out.push(`changes of 10% or more against ${COMPARE} (commit ${BEFORE.commit ?? "?"})`);
        out.push(
            changes.length === 0
                ? "none"
                : table(
                      ["figure", "before", "after"],
                      changes.map(([p, a, b]) => [p, fmt(a, 1), fmt(b, 1)]),
                  ),
        );
    }
    fs.writeFileSync(OUT, JSON.stringify(results, null, 2) + "\n");
    out.push("");
    out.push(`written to ${path.relative(process.cwd(), OUT) || OUT}`);
    const verdict = benchVerdict(targets);
    out.push("", ...verdict.lines);
    console.log(out.join("\n"));
    process.exitCode = verdict.exitCode;
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
