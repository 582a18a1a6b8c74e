// `option task` read from a Flux script, and Flux durations (dynamic-providers/flux/task-option.ts).
import * as assert from "assert";
import { durationToSeconds, parseTaskOption } from "../../../dynamic-providers/flux/task-option";
import { describeWithReference, docsTasks, FLAGSMITH_DOCS } from "../../harness/reference-data";

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
