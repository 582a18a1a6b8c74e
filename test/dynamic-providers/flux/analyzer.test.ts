import * as assert from "assert";
import { analyzeFlux, FluxDiagnostic, resetFluxAnalyzer } from "../../../dynamic-providers/flux/analyzer";
import { durationToSeconds, parseTaskOption } from "../../../dynamic-providers/flux/task-option";
import { describeWithReference, docsTasks, FLAGSMITH_DOCS } from "../../harness/reference-data";

/** Replaces exactly one occurrence of `from` in `script`. */
function mutate(script: string, from: string, to: string): string {
    assert.strictEqual(script.split(from).length, 2, `expected exactly one "${from}" in the script`);
    return script.replace(from, to);
}

function errorsOf(diagnostics: FluxDiagnostic[]): FluxDiagnostic[] {
    return diagnostics.filter((d) => d.severity === "error");
}

/** Asserts that analysis reports an error whose message matches `pattern`, at `line` when given. */
async function assertRejected(script: string, pattern: RegExp, line?: number): Promise<FluxDiagnostic> {
    const errors = errorsOf(await analyzeFlux(script));
    const match = errors.find((d) => pattern.test(d.message));
    assert.ok(match, `expected an error matching ${pattern}, got ${JSON.stringify(errors)}`);
    if (line !== undefined) assert.strictEqual(match.line, line, JSON.stringify(match));
    return match;
}

describe("flux analyzer", () => {
    describeWithReference("on the tasks of Flagsmith's docs", [FLAGSMITH_DOCS], () => {
        let tasks: string[] = [];
        before(() => {
            tasks = docsTasks();
        });

        it("finds the four tasks in the docs", () => {
            assert.strictEqual(tasks.length, 4);
        });

        // Timings are reported, not asserted: speed belongs to `npm run bench`.
        it("loads the wasm once and analyzes again with the loaded server (timings reported)", async () => {
            resetFluxAnalyzer();
            let start = performance.now();
            const firstErrors = (await analyzeFlux(tasks[0])).filter((d) => d.severity === "error");
            const first = performance.now() - start;
            start = performance.now();
            const secondErrors = (await analyzeFlux(tasks[3])).filter((d) => d.severity === "error");
            const second = performance.now() - start;
            start = performance.now();
            parseTaskOption(tasks[3]);
            const parse = performance.now() - start;
            console.log(
                `      first analyzeFlux (load + start server + analyze): ${first.toFixed(1)} ms; ` +
                    `next analyzeFlux: ${second.toFixed(1)} ms; parseTaskOption: ${parse.toFixed(1)} ms`,
            );
            assert.deepStrictEqual([firstErrors, secondErrors], [[], []]);
        });

        describe("accepts the docs' tasks", () => {
            for (let i = 0; i < 4; i++) {
                it(`task ${i + 1} has no diagnostics`, async () => {
                    assert.deepStrictEqual(await analyzeFlux(tasks[i]), []);
                });
            }
        });

        describe("rejects broken variants with meaningful messages", () => {
            it("an unknown function", async () => {
                const script = mutate(tasks[0], "aggregateWindow(", "aggregateWindoww(");
                const error = await assertRejected(script, /undefined identifier aggregateWindoww/, 9);
                assert.strictEqual(error.column, 5);
            });

            it("an undefined variable", async () => {
                await assertRejected(mutate(tasks[1], "\ndata\n", "\ndta\n"), /undefined identifier dta/, 8);
            });

            it("a misspelled argument name", async () => {
                const script = mutate(
                    tasks[2],
                    'to(bucket: "default_downsampled_1h")',
                    'to(buckt: "default_downsampled_1h")',
                );
                await assertRejected(script, /unexpected argument buckt.*Expected one of `bucket`/, 12);
            });

            it("a missing required argument", async () => {
                await assertRejected(
                    mutate(tasks[3], 'set(key: "_field", ', "set("),
                    /missing required argument key/,
                    16,
                );
            });

            it("a string where a duration is expected", async () => {
                const script = mutate(tasks[0], "every: 15m)", 'every: "15m")');
                await assertRejected(script, /expected duration but found string \(argument every\)/, 9);
            });

            it("an array argument given a string", async () => {
                const script = mutate(tasks[3], 'columns: ["feature_id", "environment_id"]', 'columns: "feature_id"');
                await assertRejected(script, /expected \[string\].*found string \(argument columns\)/, 9);
            });

            it("an unknown aggregate function", async () => {
                await assertRejected(mutate(tasks[1], "fn: sum", "fn: summ"), /undefined identifier summ/, 9);
            });

            it("a syntax error", async () => {
                const script = mutate(tasks[0], '(r._measurement == "api_call"))', '(r._measurement == "api_call")');
                await assertRejected(script, /expected RPAREN/);
            });

            it("an unknown import", async () => {
                await assertRejected(`import "nope"\n\n${tasks[0]}`, /invalid import path nope/, 1);
            });
        });

        it("serializes concurrent analyses and keeps results apart", async () => {
            const scripts = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? `x${i} = y${i}` : tasks[i % 4]));
            const results = await Promise.all(scripts.map(analyzeFlux));
            results.forEach((diagnostics, i) => {
                const expected = i % 3 === 0 ? [`undefined identifier y${i}`] : [];
                assert.deepStrictEqual(
                    errorsOf(diagnostics).map((d) => d.message),
                    expected,
                );
            });
        });
    });

    it("reports type errors with 1-based positions", async () => {
        assert.deepStrictEqual(await analyzeFlux('a = 1\nb = a + "x"\n'), [
            { message: "expected int but found string", line: 2, column: 9, severity: "error" },
        ]);
    });

    it("reports the language server's lints as warnings and infos", async () => {
        const [warning] = await analyzeFlux("v = 1\n");
        assert.deepStrictEqual([warning.severity, warning.line, warning.column], ["warning", 1, 1]);
        assert.match(warning.message, /Avoid using `v` as an identifier name/);
        const [info] = await analyzeFlux('import "experimental"\nx = experimental.addDuration(d: 1h, to: now())\n');
        assert.deepStrictEqual([info.severity, info.line, info.column], ["info", 2, 5]);
    });

    it("keeps the `task` identifier warning unless it is the task option", async () => {
        const diagnostics = await analyzeFlux('task = "abc"\n');
        assert.deepStrictEqual(
            diagnostics.map((d) => [d.severity, d.line]),
            [["warning", 1]],
        );
    });

    it("rejects non-string input", async () => {
        await assert.rejects(analyzeFlux(42 as unknown as string), /expected a string/);
    });
});

describe("parseTaskOption", () => {
    describeWithReference("on the tasks of Flagsmith's docs", [FLAGSMITH_DOCS], () => {
        it("reads the docs' task headers", () => {
            assert.deepStrictEqual(docsTasks().map(parseTaskOption), [
                { ok: true, name: "Downsample (API Requests)", every: "15m" },
                { ok: true, name: "Downsample (Flag Evaluations)", every: "15m" },
                { ok: true, name: "Downsample API 1h", every: "1h" },
                { ok: true, name: "Downsample API 1h - Flag Analytics", every: "1h" },
            ]);
        });
    });

    it("reads cron, offset, compound durations, quoted keys and escaped names", () => {
        assert.deepStrictEqual(parseTaskOption('option task = {name: "a \\"b\\"", cron: "0 * * * *", offset: 1h30m}'), {
            ok: true,
            name: 'a "b"',
            cron: "0 * * * *",
            offset: "1h30m",
        });
        assert.deepStrictEqual(parseTaskOption('option task = {"name": "n", "every": 90s}\nx = 1'), {
            ok: true,
            name: "n",
            every: "90s",
        });
    });

    const bad: [string, string, RegExp][] = [
        ["no option task", 'from(bucket: "a") |> range(start: -1h)', /no `option task = \{\.\.\.\}` statement/],
        ["another option only", "option now = () => 2020-01-01T00:00:00Z", /no `option task/],
        [
            "option task twice",
            'option task = {name: "a", every: 1h}\noption task = {name: "b", every: 1h}',
            /more than once/,
        ],
        ["value not a record", 'option task = "x"', /must be a record literal.*string literal `"x"`/],
        [
            "record extension",
            'option task = {r with name: "x", every: 1h}',
            /must be a record literal.*record extension/,
        ],
        [
            "every is an identifier",
            'option task = {name: "x", every: x}',
            /`every` must be a duration literal.*identifier `x`/,
        ],
        [
            "every is a call",
            'option task = {name: "x", every: duration(v: "1h")}',
            /`every` must be a duration.*function call/,
        ],
        ["every is a string", 'option task = {name: "x", every: "15m"}', /`every` must be a duration.*string literal/],
        ["every in months", 'option task = {name: "x", every: 1mo}', /`every`.*"mo".*no fixed length/],
        ["every below a second", 'option task = {name: "x", every: 500ms}', /whole number of seconds/],
        ["negative offset", 'option task = {name: "x", every: 1h, offset: -5m}', /`offset` must be a duration.*unary/],
        [
            "name concatenated",
            'option task = {name: "a" + "b", every: 1h}',
            /`name` must be a string literal.*binary expression/,
        ],
        [
            "name interpolated",
            'option task = {name: "a${b}", every: 1h}',
            /`name` must be a string literal.*interpolated/,
        ],
        ["name empty", 'option task = {name: " ", every: 1h}', /`name` must not be empty/],
        ["missing name", "option task = {every: 1h}", /missing `name`/],
        ["neither every nor cron", 'option task = {name: "x"}', /needs `every` or `cron`/],
        ["both every and cron", 'option task = {name: "x", every: 1h, cron: "0 * * * *"}', /both `every` and `cron`/],
        [
            "cron not a literal",
            'c = "0 * * * *"\noption task = {name: "x", cron: c}',
            /`cron` must be a string literal/,
        ],
        ["cron malformed", 'option task = {name: "x", cron: "15m"}', /`cron` must have 5 to 7 fields/],
        [
            "an offset in days",
            'option task = {name: "x", every: 1h, offset: 1d}',
            /offset.*units ns, us, ms, s, m and h.*24h/,
        ],
        ["an offset in weeks", 'option task = {name: "x", every: 1h, offset: 1w}', /offset.*write 168h for 1w/],
        [
            "concurrency not an integer",
            'option task = {name: "x", every: 1h, concurrency: "1"}',
            /`concurrency` must be an integer/,
        ],
        ["retry out of range", 'option task = {name: "x", every: 1h, retry: 11}', /`retry` must be between 1 and 10/],
        ["duplicate property", 'option task = {name: "x", every: 1h, every: 2h}', /`every` is set more than once/],
        ["shorthand property", 'name = "x"\noption task = {name, every: 1h}', /`name` has no value/],
        ["syntax error", 'option task = {name: "x", every: }', /syntax error.*missing property value/],
    ];
    it("accepts what the server's option parser accepts, and says which options change nothing", () => {
        // task/options/options.go of InfluxDB v2.7.12 reads concurrency and retry (never applied) and ignores others.
        assert.deepStrictEqual(parseTaskOption('option task = {name: "x", every: 1h, concurrency: 1, retries: 3}'), {
            ok: true,
            name: "x",
            every: "1h",
            ignored: [
                "`concurrency` is accepted by InfluxDB 2.7 but has no effect (the scheduler never applies it)",
                "`retries` is not a task option (name, every, cron, offset, concurrency, retry): InfluxDB ignores it",
            ],
        });
        assert.deepStrictEqual(parseTaskOption('option task = {name: "x", every: 1h, offset: 90m}'), {
            ok: true,
            name: "x",
            every: "1h",
            offset: "90m",
        });
    });

    for (const [title, script, pattern] of bad) {
        it(`rejects: ${title}`, () => {
            const result = parseTaskOption(script);
            assert.strictEqual(result.ok, false, JSON.stringify(result));
            assert.match((result as { error: string }).error, pattern);
            assert.match((result as { error: string }).error, /^option task: /);
        });
    }
});

describe("durationToSeconds", () => {
    it("converts Flux duration literals", () => {
        assert.strictEqual(durationToSeconds("15m"), 900);
        assert.strictEqual(durationToSeconds("1h30m"), 5400);
        assert.strictEqual(durationToSeconds("1w2d"), 7 * 86400 + 2 * 86400);
        assert.strictEqual(durationToSeconds("500ms"), 0.5);
        assert.strictEqual(durationToSeconds("1s1ms1us1µs1ns"), 1.001002001);
        assert.strictEqual(durationToSeconds("0s"), 0);
    });

    it("rejects months, years and malformed input", () => {
        assert.throws(() => durationToSeconds("1mo"), /no fixed length/);
        assert.throws(() => durationToSeconds("2y"), /no fixed length/);
        for (const bad of ["", "15", "m", "-5m", "1.5h", "15 m", "1H", "15min"]) {
            assert.throws(() => durationToSeconds(bad), /invalid Flux duration/, bad);
        }
    });
});
