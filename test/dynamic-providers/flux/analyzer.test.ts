// The Flux analyzer (dynamic-providers/flux/analyzer.ts): the official parser and language server, in Node.
import * as assert from "assert";
import { analyzeFlux, FluxDiagnostic, resetFluxAnalyzer } from "../../../dynamic-providers/flux/analyzer";
import { parseTaskOption } from "../../../dynamic-providers/flux/task-option";
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
