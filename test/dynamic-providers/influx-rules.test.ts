// One table per InfluxDB rule of dynamic-providers/influx-rules.ts, which the settings, the downsampling plan and the
// providers all enforce; their own specs test which input reaches the rule, not the rule's values again.
import * as assert from "assert";
import {
    bucketNameProblem,
    defaultShardGroupSeconds,
    isInfluxId,
    MIN_RETENTION_SECONDS,
} from "../../dynamic-providers/influx-rules";

const DAY = 86400;

describe("InfluxDB rules: one table per rule", () => {
    describe("bucketNameProblem", () => {
        const accepted = ["default", "default_downsampled_15m", "a b", "é", "x".repeat(255)];
        const refused: [unknown, RegExp][] = [
            ["", /must be a non-empty string/],
            [undefined, /must be a non-empty string/],
            [7, /must be a non-empty string/],
            ["_monitoring", /must not start with `_`/],
            ['a"b', /must not contain a double quote/],
            ["a\tb", /control characters or surrounding spaces/],
            [" default", /surrounding spaces/],
            ["default ", /surrounding spaces/],
            ["x".repeat(256), /is too long \(256 characters; at most 255\)/],
        ];
        /** A long name is shown by its length. */
        const shown = (name: unknown) =>
            JSON.stringify(typeof name === "string" && name.length > 20 ? `${name.length} characters` : name);
        for (const name of accepted) {
            it(`accepts ${shown(name)}`, () => {
                assert.strictEqual(bucketNameProblem(name), undefined);
            });
        }
        for (const [name, message] of refused) {
            it(`refuses ${shown(name)}: ${message.source}`, () => {
                assert.match(bucketNameProblem(name) ?? "", message);
            });
        }
    });

    describe("defaultShardGroupSeconds (shardGroupDuration, v1/services/meta/data.go)", () => {
        const table: [number, number][] = [
            [0, 7 * DAY],
            [MIN_RETENTION_SECONDS, 3600],
            [2 * DAY - 1, 3600],
            [2 * DAY, DAY],
            [180 * DAY - 1, DAY],
            [180 * DAY, 7 * DAY],
            [400 * DAY, 7 * DAY],
        ];
        for (const [retention, shard] of table) {
            it(`retention ${retention} s: shard groups of ${shard} s`, () => {
                assert.strictEqual(defaultShardGroupSeconds(retention), shard);
            });
        }
    });

    describe("isInfluxId", () => {
        const table: [string, boolean][] = [
            ["0123456789abcdef", true],
            ["0000000000000001", true],
            ["0123456789ABCDEF", false],
            ["0123456789abcde", false],
            ["0123456789abcdef0", false],
            ["0123456789abcdeg", false],
            ["", false],
        ];
        for (const [id, ok] of table) {
            it(`${ok ? "accepts" : "refuses"} ${JSON.stringify(id)}`, () => assert.strictEqual(isInfluxId(id), ok));
        }
    });
});
