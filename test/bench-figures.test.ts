// The benchmark's arithmetic (test/bench/figures.ts): what it reports must be right even though it asserts nothing.
import * as assert from "assert";
import { compareResults, isWrite, phaseFigures, sequentialRoundTrips, Span } from "./bench/figures";

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
