// The bucket provider's pure check, diff and mapping functions (dynamic-providers/bucket-provider.ts).
import * as assert from "assert";
import {
    checkBucket,
    diffBucket,
    normalizeBucketInputs,
    retentionOf,
    retentionRulesFor,
} from "../../dynamic-providers/bucket-provider";
import { UNKNOWN } from "../../dynamic-providers/common";

const conn = { url: "http://localhost:8086", token: "t0ken-value" };
const ORG = "0123456789abcdef";
const props = (failures: { property: string }[]) => failures.map((f) => f.property);

describe("bucket check", () => {
    const ok = { connection: conn, orgId: ORG, name: "default", retentionSeconds: 7200 };
    it("accepts good input and fills defaults", () => {
        assert.deepStrictEqual(checkBucket(ok), []);
        assert.deepStrictEqual(normalizeBucketInputs({ connection: conn, orgId: ORG, name: "b" }), {
            connection: conn,
            orgId: ORG,
            name: "b",
            retentionSeconds: 0,
            description: "",
            adopt: false,
            keepRetentionOnAdopt: false,
        });
    });
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
        ["leading underscore", { name: "_monitoring" }, "name", /must not start with `_`/],
        ["double quote", { name: 'a"b' }, "name", /double quote/],
        ["empty name", { name: "" }, "name", /non-empty/],
        ["too long", { name: "x".repeat(256) }, "name", /too long/],
        ["retention 60 s", { retentionSeconds: 60 }, "retentionSeconds", /minimum of 3600/],
        ["retention 3599 s", { retentionSeconds: 3599 }, "retentionSeconds", /minimum of 3600/],
        ["negative retention", { retentionSeconds: -1 }, "retentionSeconds", /non-negative/],
        ["fractional retention", { retentionSeconds: 3600.5 }, "retentionSeconds", /whole/],
        ["negative shard group", { shardGroupDurationSeconds: -5 }, "shardGroupDurationSeconds", /non-negative/],
        [
            "shard group over retention",
            { shardGroupDurationSeconds: 86400 },
            "shardGroupDurationSeconds",
            /larger than/,
        ],
        ["ftp url", { connection: { ...conn, url: "ftp://x" } }, "connection.url", /http\(s\) URL/],
        ["malformed url", { connection: { ...conn, url: "localhost:8086" } }, "connection.url", /http\(s\) URL/],
        ["empty token", { connection: { ...conn, token: "" } }, "connection.token", /empty/],
        ["bad org id", { orgId: "my-org" }, "orgId", /16 hex/],
    ];
    for (const [label, patch, property, reason] of bad) {
        it(`rejects ${label}, naming ${property}`, () => {
            const failures = checkBucket({ ...ok, ...patch });
            assert.ok(props(failures).includes(property), JSON.stringify(failures));
            assert.match(failures.find((f) => f.property === property)!.reason, reason);
        });
    }
    it("skips unknown values (previews)", () => {
        assert.deepStrictEqual(
            checkBucket({
                connection: { url: UNKNOWN, token: UNKNOWN },
                orgId: UNKNOWN,
                name: UNKNOWN,
                retentionSeconds: UNKNOWN,
                shardGroupDurationSeconds: UNKNOWN,
            }),
            [],
        );
        assert.deepStrictEqual(checkBucket({ connection: UNKNOWN, orgId: UNKNOWN, name: "b" }), []);
    });
});

describe("bucket diff", () => {
    const state = {
        connection: conn,
        orgId: ORG,
        name: "b",
        retentionSeconds: 0,
        shardGroupDurationSeconds: 604800,
        description: "",
        adopt: false,
        bucketId: "1111111111111111",
        __provider: "old code",
    };
    const inputs = {
        connection: conn,
        orgId: ORG,
        name: "b",
        retentionSeconds: 0,
        description: "",
        adopt: false,
        __provider: "new code",
    };
    it("shows no change for identical settings, even when the serialized provider changed", () => {
        assert.deepStrictEqual(diffBucket(state, inputs), { changes: false, replaces: [], stables: ["orgId"] });
    });
    it("ignores the server-filled shard-group duration unless the user set it", () => {
        assert.strictEqual(diffBucket(state, { ...inputs, shardGroupDurationSeconds: 604800 }).changes, false);
        assert.strictEqual(diffBucket(state, { ...inputs, shardGroupDurationSeconds: 86400 }).changes, true);
    });
    it("updates name, description and retention in place", () => {
        for (const patch of [{ name: "c" }, { description: "d" }, { retentionSeconds: 3600 }]) {
            const d = diffBucket(state, { ...inputs, ...patch });
            assert.strictEqual(d.changes, true, JSON.stringify(patch));
            assert.deepStrictEqual(d.replaces, []);
        }
    });
    it("replaces on an org change and on an unknown org", () => {
        assert.deepStrictEqual(diffBucket(state, { ...inputs, orgId: "fedcba9876543210" }).replaces, ["orgId"]);
        assert.deepStrictEqual(diffBucket(state, { ...inputs, orgId: UNKNOWN }).replaces, ["orgId"]);
    });
    it("counts an unknown input as a change", () => {
        assert.strictEqual(diffBucket(state, { ...inputs, name: UNKNOWN }).changes, true);
        assert.strictEqual(
            diffBucket(state, { ...inputs, connection: { url: conn.url, token: UNKNOWN } }).changes,
            true,
        );
    });
    it("treats infinite retention written as [] or everySeconds 0 as equal", () => {
        assert.strictEqual(retentionOf({ retentionRules: [] }).every, 0);
        assert.strictEqual(retentionOf({ retentionRules: [{ type: "expire", everySeconds: 0 }] }).every, 0);
        assert.strictEqual(
            diffBucket({ ...state, retentionSeconds: 0 }, { ...inputs, retentionSeconds: undefined }).changes,
            false,
        );
    });
    it("always sends everySeconds together with a shard-group duration", () => {
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 86400, shardGroupDurationSeconds: 3600 }), [
            { type: "expire", everySeconds: 86400, shardGroupDurationSeconds: 3600 },
        ]);
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 0 }), [{ type: "expire", everySeconds: 0 }]);
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 0 }, 0), [{ type: "expire", everySeconds: 0 }]);
    });
    it("sends the server's default shard-group duration when the retention changes and the user left it unset", () => {
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 7200 }, 0), [
            { type: "expire", everySeconds: 7200, shardGroupDurationSeconds: 3600 },
        ]);
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 3 * 86400 }, 7200), [
            { type: "expire", everySeconds: 3 * 86400, shardGroupDurationSeconds: 86400 },
        ]);
        assert.deepStrictEqual(retentionRulesFor({ retentionSeconds: 0 }, 7200), [
            { type: "expire", everySeconds: 0, shardGroupDurationSeconds: 7 * 86400 },
        ]);
    });
});
