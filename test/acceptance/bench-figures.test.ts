// The benchmark's arithmetic (test/bench/figures.ts): what it reports must be right even though it asserts nothing.
import * as assert from "assert";
import { parseBenchArgs, parseRtt, USAGE } from "../bench/args";
import {
    benchVerdict,
    compareResults,
    isWrite,
    phaseFigures,
    sequentialRoundTrips,
    Span,
    target,
} from "../bench/figures";

const span = (startMs: number, endMs: number, route = "GET /api/v2/buckets"): Span => ({ route, startMs, endMs });

describe("benchmark figures", function () {
    it("counts parallel requests as one round trip and dependent ones each", function () {
        assert.strictEqual(sequentialRoundTrips([]), 0);
        // org lookup, then 3 buckets at once, then 4 tasks and a token at once
        const create = [
            span(0, 20),
            span(21, 41),
            span(22, 42),
            span(22, 43),
            ...[0, 1, 2, 3, 4].map((i) => span(44 + i, 64 + i)),
        ];
        assert.strictEqual(sequentialRoundTrips(create), 3);
        // the same requests one after another
        assert.strictEqual(sequentialRoundTrips(create.map((_, i) => span(i * 30, i * 30 + 20))), 9);
        // a long request overlapping a chain of short ones does not hide the chain
        assert.strictEqual(sequentialRoundTrips([span(0, 100), span(1, 10), span(11, 20), span(21, 30)]), 3);
    });

    it("tells writes from reads", function () {
        assert.deepStrictEqual(
            ["POST /api/v2/buckets", "PATCH /api/v2/tasks/{taskID}", "DELETE /api/v2/buckets/{bucketID}"].map(isWrite),
            [true, true, true],
        );
        assert.deepStrictEqual(["GET /api/v2/buckets", "GET /api/v2/orgs"].map(isWrite), [false, false]);
    });

    it("computes a phase's figures and its ratio to the physical limit", function () {
        const f = phaseFigures([span(0, 20, "GET /api/v2/orgs"), span(25, 45, "POST /api/v2/buckets")], 90, 2, 20);
        assert.deepStrictEqual(
            { ...f, byRoute: { ...f.byRoute } },
            {
                requests: 2,
                writes: 1,
                byRoute: { "GET /api/v2/orgs": 1, "POST /api/v2/buckets": 1 },
                roundTrips: 2,
                wallMs: 90,
                limitRoundTrips: 2,
                limitMs: 40,
                ratio: 2.25,
            },
        );
        assert.strictEqual(phaseFigures([], 5, 0, 20).ratio, undefined);
    });

    it("compares result files by their numeric figures, past a tolerance", function () {
        const before = { create: { requests: 9, wallMs: 100 }, rows: [1, 2], label: "x" };
        const after = { create: { requests: 12, wallMs: 105 }, rows: [1, 3], label: "y", added: 1 };
        assert.deepStrictEqual(compareResults(before, after), [
            ["create.requests", 9, 12],
            ["rows.1", 2, 3],
        ]);
    });
});

describe("benchmark verdict", function () {
    it("exits 0 when every target is met", function () {
        const verdict = benchVerdict([target("a", "0", 0, true), target("b", "<= 4", 3, true)]);
        assert.deepStrictEqual(verdict, { exitCode: 0, lines: ["all 2 targets met"] });
    });

    it("exits 1 and names each missed target with its goal and measurement", function () {
        const verdict = benchVerdict([
            target("no-op up: write requests", "0", 0, true),
            target("create default set: round trips on the critical path", "<= 4", 5, false),
            target("serialized __provider: Task", "<= 4096 bytes", "5000 bytes", false),
        ]);
        assert.deepStrictEqual(verdict, {
            exitCode: 1,
            lines: [
                "2 of 3 targets missed:",
                "  MISSED create default set: round trips on the critical path: goal <= 4, measured 5",
                "  MISSED serialized __provider: Task: goal <= 4096 bytes, measured 5000 bytes",
            ],
        });
    });
});

describe("benchmark command line", function () {
    const run = (argv: string[], env: Record<string, string> = {}) => parseBenchArgs(argv, env);

    it("defaults to a 20 ms round trip and the default files", function () {
        assert.deepStrictEqual(run([]), { kind: "run", options: { rttMs: 20, out: undefined, compare: undefined } });
    });

    it("takes --rtt, --out and --compare, as two arguments or with =", function () {
        const expected = { kind: "run", options: { rttMs: 7.5, out: "o.json", compare: "old.json" } };
        assert.deepStrictEqual(run(["--rtt", "7.5", "--out", "o.json", "--compare", "old.json"]), expected);
        assert.deepStrictEqual(run(["--rtt=7.5", "--out=o.json", "--compare=old.json"]), expected);
        assert.deepStrictEqual(run(["--rtt", "0"]), {
            kind: "run",
            options: { rttMs: 0, out: undefined, compare: undefined },
        });
    });

    it("reads BENCH_RTT_MS when --rtt is not given, and checks it the same way", function () {
        assert.strictEqual(rttOf(run([], { BENCH_RTT_MS: "35" })), 35);
        assert.strictEqual(rttOf(run(["--rtt", "10"], { BENCH_RTT_MS: "35" })), 10);
        assert.deepStrictEqual(run([], { BENCH_RTT_MS: "fast" }), {
            kind: "error",
            message: 'BENCH_RTT_MS: "fast" is not a round-trip time; give milliseconds, a number >= 0 (e.g. --rtt 20)',
        });
    });

    it("refuses a round trip that is not a number >= 0, naming the value", function () {
        for (const bad of ["abc", "-5", " ", "Infinity", "NaN", "20ms"]) {
            const parsed = run(["--rtt", bad]);
            assert.strictEqual(parsed.kind, "error", bad);
            assert.ok(
                parsed.kind === "error" && parsed.message.startsWith(`--rtt: "${bad}" is not a round-trip time`),
                JSON.stringify(parsed),
            );
        }
        assert.deepStrictEqual(run(["--rtt", ""]), { kind: "error", message: "--rtt needs a non-empty value" });
        assert.strictEqual(parseRtt("12", "--rtt"), 12);
    });

    it("refuses unknown flags and flags without a value", function () {
        assert.deepStrictEqual(run(["--rtts", "20"]), {
            kind: "error",
            message: 'unknown argument "--rtts"; run npm run bench -- --help for the usage',
        });
        assert.deepStrictEqual(run(["20"]), {
            kind: "error",
            message: 'unknown argument "20"; run npm run bench -- --help for the usage',
        });
        assert.deepStrictEqual(run(["--out"]), { kind: "error", message: "--out needs a value" });
        assert.deepStrictEqual(run(["--compare", "--rtt", "5"]), { kind: "error", message: "--compare needs a value" });
        assert.deepStrictEqual(run(["--out="]), { kind: "error", message: "--out needs a non-empty value" });
    });

    it("answers --help and -h with the usage, whatever else is given", function () {
        assert.deepStrictEqual(run(["--help"]), { kind: "help" });
        assert.deepStrictEqual(run(["--rtt", "abc", "-h"]), { kind: "help" });
        for (const flag of ["--rtt MS", "--out FILE", "--compare FILE", "--help"]) {
            assert.ok(USAGE.includes(flag), flag);
        }
    });
});

function rttOf(parsed: ReturnType<typeof parseBenchArgs>): number | undefined {
    return parsed.kind === "run" ? parsed.options.rttMs : undefined;
}
