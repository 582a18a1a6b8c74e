import * as assert from "assert";
import {
    checkDownsamplingTask,
    defaultDownsamplingTasks,
    DownsamplingTaskSpec,
    escapeFluxString,
    renderDownsamplingFlux,
    validateSpec,
} from "../../components/downsampling";
import { analyzeFlux, parseFluxAst } from "../../dynamic-providers/flux/analyzer";
import { bucketsReferenced } from "../../dynamic-providers/flux/references";
import { parseTaskOption } from "../../dynamic-providers/flux/task-option";
import { describeWithReference, docsTasks, FLAGSMITH_DOCS } from "../harness/reference-data";

function normalizeWhitespace(flux: string): string {
    return flux.replace(/\s+/g, " ").trim();
}

async function assertValidTask(spec: DownsamplingTaskSpec): Promise<string> {
    const flux = renderDownsamplingFlux(spec);
    const errors = (await analyzeFlux(flux)).filter((d) => d.severity === "error");
    assert.deepStrictEqual(errors, [], flux);
    const header = parseTaskOption(flux);
    const expected = { ok: true, name: spec.name, every: spec.every, ...(spec.offset ? { offset: spec.offset } : {}) };
    assert.deepStrictEqual(header, expected);
    assert.deepStrictEqual(validateSpec(spec), []);
    assert.deepStrictEqual(await checkDownsamplingTask(spec), []);
    return flux;
}

const custom: DownsamplingTaskSpec = {
    name: "Hourly max latency",
    sourceBucket: "raw",
    measurement: "http",
    field: "latency_ms",
    groupColumns: ["host", "route"],
    every: "1h30m",
    offset: "5m",
    aggregate: "max",
    destinationBucket: "raw_1h30m",
    status: "inactive",
};

describe("downsampling", () => {
    describe("defaultDownsamplingTasks", () => {
        describeWithReference("against Flagsmith's docs", [FLAGSMITH_DOCS], () => {
            it("renders exactly the docs' four scripts for the bucket `default`", () => {
                const docs = docsTasks();
                const rendered = defaultDownsamplingTasks("default").map(renderDownsamplingFlux);
                assert.strictEqual(docs.length, 4);
                assert.deepStrictEqual(rendered.map(normalizeWhitespace), docs.map(normalizeWhitespace));
            });

            it("renders another bucket name everywhere and nowhere else", () => {
                const docs = docsTasks().map(normalizeWhitespace);
                const rendered = defaultDownsamplingTasks("flagsmith-prod").map(renderDownsamplingFlux);
                rendered.forEach((flux, i) => {
                    assert.strictEqual(normalizeWhitespace(flux), docs[i].replace(/"default/g, '"flagsmith-prod'));
                    assert.ok(!flux.includes('"default'));
                });
            });
        });

        it("keeps the docs' task names and derives the destination buckets", () => {
            const tasks = defaultDownsamplingTasks("analytics");
            assert.deepStrictEqual(
                tasks.map((t) => [t.name, t.sourceBucket, t.destinationBucket, t.every]),
                [
                    ["Downsample (API Requests)", "analytics", "analytics_downsampled_15m", "15m"],
                    ["Downsample (Flag Evaluations)", "analytics", "analytics_downsampled_15m", "15m"],
                    ["Downsample API 1h", "analytics", "analytics_downsampled_1h", "1h"],
                    ["Downsample API 1h - Flag Analytics", "analytics", "analytics_downsampled_1h", "1h"],
                ],
            );
        });

        it("produces scripts the analyzer accepts, with the declared options", async () => {
            for (const spec of [...defaultDownsamplingTasks("default"), ...defaultDownsamplingTasks("x y")]) {
                await assertValidTask(spec);
            }
        });
    });

    describe("custom specs", () => {
        it("filters by field, regroups, offsets and uses another aggregate", async () => {
            const flux = await assertValidTask(custom);
            assert.ok(flux.startsWith('option task = {name: "Hourly max latency", every: 1h30m, offset: 5m}\n'));
            assert.ok(flux.includes('(r._field == "latency_ms"))'));
            assert.ok(flux.includes(' |> group(columns: ["host", "route"])'));
            assert.ok(flux.includes(" |> aggregateWindow(fn: max, every: 1h30m)"));
            assert.ok(!flux.includes("set("));
        });

        it("supports every aggregate, an empty grouping and set columns", async () => {
            for (const aggregate of ["sum", "mean", "max", "min", "count", "last"] as const) {
                await assertValidTask({ ...custom, aggregate, groupColumns: [], setColumns: { origin: "ds" } });
            }
        });

        it("defaults the aggregate to sum and omits optional parts", async () => {
            const flux = await assertValidTask({
                name: "minimal",
                sourceBucket: "a",
                measurement: "m",
                every: "1m",
                destinationBucket: "b",
            });
            assert.ok(flux.includes("fn: sum"));
            assert.ok(!/offset|group|_field|set\(/.test(flux));
        });

        it("escapes strings for Flux literals", async () => {
            const nasty = 'quote " backslash \\ interp ${x} dollar $ newline \n tab \t';
            const spec: DownsamplingTaskSpec = {
                ...custom,
                name: `task ${nasty}`,
                measurement: nasty,
                field: nasty,
                groupColumns: [nasty],
                setColumns: { [nasty]: nasty },
            };
            const flux = await assertValidTask(spec);
            const literals: string[] = [];
            const collect = (node: unknown): void => {
                if (Array.isArray(node)) node.forEach(collect);
                else if (typeof node === "object" && node !== null) {
                    const n = node as Record<string, unknown>;
                    if (n.type === "StringLiteral") literals.push(n.value as string);
                    Object.entries(n).forEach(([k, v]) => k !== "location" && collect(v));
                }
            };
            collect(parseFluxAst(flux));
            assert.strictEqual(literals.filter((l) => l === nasty).length, 5, JSON.stringify(literals));
            assert.ok(!flux.includes("StringExpression"));
            assert.strictEqual(escapeFluxString("${a}"), "\\${a}");
        });

        it("returns a raw spec's Flux unchanged and checks its header", async () => {
            const flux = renderDownsamplingFlux(custom);
            assert.strictEqual(renderDownsamplingFlux({ name: custom.name, flux }), flux);
            assert.deepStrictEqual(await checkDownsamplingTask({ name: custom.name, flux }), []);
            assert.deepStrictEqual(validateSpec({ name: "other", flux }), [
                'downsampling task "other": flux: option task name "Hourly max latency" differs from the task name',
            ]);
            assert.match(
                validateSpec({ name: "n", flux: "x = 1" })[0],
                /downsampling task "n": flux: .*no `option task/,
            );
        });
    });

    describe("validateSpec", () => {
        const base = defaultDownsamplingTasks("default")[0];
        const cases: [string, Partial<Record<keyof DownsamplingTaskSpec, unknown>>, RegExp][] = [
            ["unknown aggregate", { aggregate: "summ" }, /aggregate: unknown aggregate "summ"/],
            ["invalid every", { every: "15 minutes" }, /every: invalid Flux duration "15 minutes"/],
            ["every in months", { every: "1mo" }, /every: .*no fixed length/],
            ["every below 1s", { every: "10ms" }, /every: must be a whole number of seconds/],
            ["zero every", { every: "0s" }, /every: must be at least 1s/],
            ["invalid offset", { offset: "-5m" }, /offset: invalid Flux duration/],
            // The server parses a task offset as a Go duration (kv/task.go of InfluxDB v2.7.12) and answers 500.
            ["offset in days", { offset: "1d" }, /offset: InfluxDB 2.7 parses a task offset .* write 24h for 1d/],
            ["offset in weeks", { offset: "2w" }, /offset: InfluxDB 2.7 parses a task offset .* write 336h for 2w/],
            [
                "source bucket with underscore",
                { sourceBucket: "_monitoring" },
                /sourceBucket: .*must not start with `_`/,
            ],
            ["destination bucket with quote", { destinationBucket: 'a"b' }, /destinationBucket: .*double quote/],
            [
                "empty destination bucket",
                { destinationBucket: "" },
                /destinationBucket: bucket name "" must be a non-empty string/,
            ],
            ["same buckets", { destinationBucket: "default" }, /destinationBucket: must differ from sourceBucket/],
            ["empty measurement", { measurement: "" }, /measurement: must be a non-empty string/],
            ["empty field", { field: "" }, /field: must be a non-empty string/],
            ["bad group columns", { groupColumns: ["a", ""] }, /groupColumns: must be an array/],
            ["duplicate group columns", { groupColumns: ["a", "a"] }, /groupColumns: contains duplicates/],
            ["bad set columns", { setColumns: { a: 1 } }, /setColumns: column "a"/],
            ["bad status", { status: "paused" }, /status: must be "active" or "inactive"/],
        ];
        for (const [title, change, pattern] of cases) {
            it(`rejects ${title}, naming the task`, () => {
                const errors = validateSpec({ ...base, ...change } as DownsamplingTaskSpec);
                assert.strictEqual(errors.length, 1, JSON.stringify(errors));
                assert.match(errors[0], /^downsampling task "Downsample \(API Requests\)": /);
                assert.match(errors[0], pattern);
            });
        }

        it("rejects an empty name", () => {
            assert.deepStrictEqual(validateSpec({ ...base, name: " " }), [
                'downsampling task " ": name: must be a non-empty string',
            ]);
        });

        it("reports analyzer errors with the task name when validation is bypassed", async () => {
            const broken = { ...base, aggregate: "summ" } as unknown as DownsamplingTaskSpec;
            assert.match(
                (await checkDownsamplingTask(broken))[0],
                /^downsampling task "Downsample \(API Requests\)": aggregate/,
            );
            const diagnostics = await analyzeFlux(renderDownsamplingFlux(broken));
            assert.deepStrictEqual(
                diagnostics.map((d) => [d.message, d.line]),
                [["undefined identifier summ", 9]],
            );
        });
    });

    describe("bucketsReferenced", () => {
        it("finds the reads and writes of the default tasks", () => {
            for (const spec of defaultDownsamplingTasks("default")) {
                assert.deepStrictEqual(bucketsReferenced(renderDownsamplingFlux(spec)), {
                    reads: ["default"],
                    writes: [spec.destinationBucket],
                    unresolved: [],
                });
            }
        });

        it("handles several calls, package members, non-literal buckets and bucketID", () => {
            const flux = [
                'import "experimental"',
                'b = "dyn"',
                'a = from(bucket: "one") |> range(start: -1h)',
                'c = from(bucket: "two") |> range(start: -1h) |> to(bucket: "out")',
                'a |> experimental.to(bucket: "exp-out")',
                'from(bucket: b) |> range(start: -1h) |> to(bucketID: "0123")',
                'from(bucket: "one") |> range(start: -1h) |> to(bucket: "out")',
            ].join("\n");
            assert.deepStrictEqual(bucketsReferenced(flux), {
                reads: ["one", "two"],
                writes: ["out", "exp-out"],
                unresolved: [
                    "from() at line 6: bucket is identifier `b` at line 6, column 14",
                    "to() at line 6: uses bucketID",
                ],
            });
        });

        it("finds nothing in a script without from/to", () => {
            assert.deepStrictEqual(bucketsReferenced("x = 1"), { reads: [], writes: [], unresolved: [] });
        });
    });
});
