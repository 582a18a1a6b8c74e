// Direct unit tests of the providers' pure check and diff functions.
import * as assert from "assert";
import {
    checkAuthorization,
    diffAuthorization,
    normalizeAuthorizationInputs,
} from "../dynamic-providers/authorization-provider";
import {
    checkBucket,
    diffBucket,
    normalizeBucketInputs,
    retentionOf,
    retentionRulesFor,
} from "../dynamic-providers/bucket-provider";
import { UNKNOWN } from "../dynamic-providers/common";
import { answered, checkOrganization, ProbeOutputs } from "../dynamic-providers/organization-provider";
import { adoptableTasks, diffTask } from "../dynamic-providers/task-provider";

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

describe("task diff", () => {
    const flux = 'option task = {name: "t", every: 1h}\nfrom(bucket: "b") |> range(start: -1h)';
    const state = {
        connection: conn,
        orgId: ORG,
        flux,
        status: "active" as const,
        description: "",
        adopt: false,
        taskId: "x",
    };
    it("updates flux, status and description in place; replaces on org change", () => {
        assert.strictEqual(diffTask(state, { ...state }).changes, false);
        for (const patch of [{ flux: flux + "\n" }, { status: "inactive" as const }, { description: "d" }]) {
            const d = diffTask(state, { ...state, ...patch });
            assert.deepStrictEqual([d.changes, d.replaces], [true, []], JSON.stringify(patch));
        }
        assert.deepStrictEqual(diffTask(state, { ...state, orgId: "fedcba9876543210" }).replaces, ["orgId"]);
        assert.strictEqual(diffTask(state, { ...state, flux: UNKNOWN }).changes, true);
    });
});

describe("authorization check and diff", () => {
    const ok = {
        connection: conn,
        orgId: ORG,
        description: "flagsmith",
        permissions: [{ action: "write", resource: { type: "buckets", id: "1111111111111111" } }],
    };
    it("accepts good input and fills each permission's orgID", () => {
        assert.deepStrictEqual(checkAuthorization(ok), []);
        const n = normalizeAuthorizationInputs(ok) as {
            status: string;
            permissions: { resource: { orgID: string } }[];
        };
        assert.strictEqual(n.status, "active");
        assert.strictEqual(n.permissions[0].resource.orgID, ORG);
    });
    it("rejects unknown actions and resource types, naming the permission", () => {
        const f = checkAuthorization({
            ...ok,
            permissions: [
                { action: "delete", resource: { type: "buckets" } },
                { action: "read", resource: { type: "bucket" } },
            ],
        });
        assert.deepStrictEqual(props(f), ["permissions[0].action", "permissions[1].resource.type"]);
        assert.match(f[1].reason, /not an InfluxDB resource type/);
        assert.deepStrictEqual(props(checkAuthorization({ ...ok, permissions: [] })), ["permissions"]);
        assert.deepStrictEqual(props(checkAuthorization({ ...ok, description: " " })), ["description"]);
    });
    it("refuses in preview what InfluxDB 2.7 refuses at create: another org's permission, the instance type", () => {
        const f = checkAuthorization({
            ...ok,
            permissions: [
                { action: "read", resource: { type: "buckets", orgID: "fedcba9876543210" } },
                { action: "read", resource: { type: "instance" } },
                { action: "read", resource: { type: "buckets", orgID: ORG } },
            ],
        });
        assert.deepStrictEqual(props(f), ["permissions[0].resource.orgID", "permissions[1].resource.type"]);
        assert.match(f[0].reason, /not the token's organization/);
        assert.match(f[1].reason, /"instance" cannot be granted/);
    });
    it("skips unknown permissions in previews", () => {
        assert.deepStrictEqual(checkAuthorization({ ...ok, permissions: UNKNOWN }), []);
        assert.deepStrictEqual(
            checkAuthorization({
                ...ok,
                permissions: [{ action: "read", resource: { type: "buckets", id: UNKNOWN } }],
            }),
            [],
        );
    });
    it("replaces on permission changes but not on order; updates status and description in place", () => {
        const p1 = {
            action: "read" as const,
            resource: { type: "buckets" as const, id: "1111111111111111", orgID: ORG },
        };
        const p2 = {
            action: "write" as const,
            resource: { type: "buckets" as const, id: "1111111111111111", orgID: ORG },
        };
        const state = {
            connection: conn,
            orgId: ORG,
            description: "f",
            status: "active" as const,
            permissions: [p1, p2],
            token: "x",
        };
        assert.strictEqual(diffAuthorization(state, { ...state, permissions: [p2, p1] }).changes, false);
        assert.deepStrictEqual(diffAuthorization(state, { ...state, permissions: [p1] }).replaces, ["permissions"]);
        const d = diffAuthorization(state, { ...state, status: "inactive", description: "g" });
        assert.deepStrictEqual([d.changes, d.replaces], [true, []]);
    });
});

describe("organization check", () => {
    it("needs a name", () => {
        assert.deepStrictEqual(props(checkOrganization({ connection: conn, name: "" })), ["name"]);
        assert.deepStrictEqual(checkOrganization({ connection: conn, name: UNKNOWN }), []);
    });
});

describe("task adoption: only a task on this stack's own buckets", () => {
    const flux = (raw: string, name = "Downsample API 1h") =>
        `option task = {name: "${name}", every: 1h}\n\nfrom(bucket: "${raw}")\n    |> range(start: -2h)\n` +
        `    |> aggregateWindow(fn: sum, every: 1h)\n    |> to(bucket: "${raw}_downsampled_1h")\n`;
    it("never takes over another stack's task of the same name", () => {
        const staging = { id: "1111111111111111", orgID: ORG, name: "Downsample API 1h", flux: flux("staging") };
        const mine = { id: "2222222222222222", orgID: ORG, name: "Downsample API 1h", flux: flux("default") };
        assert.deepStrictEqual(adoptableTasks([staging], flux("default")), []);
        assert.deepStrictEqual(adoptableTasks([staging, mine], flux("default")), [mine]);
    });
    it("adopts a task edited by hand as long as it uses the same buckets", () => {
        const edited = {
            id: "3333333333333333",
            orgID: ORG,
            name: "Downsample API 1h",
            flux: flux("default").replace("sum", "mean"),
        };
        assert.deepStrictEqual(adoptableTasks([edited], flux("default")), [edited]);
    });
});

describe("organization probe: what a read records", () => {
    const connection = { url: "http://influxdb:8086", token: "t" };
    it("an answer replaces what the state had; one that cannot tell keeps it (a refresh changes nothing)", () => {
        const state: ProbeOutputs = { connection, name: "flagsmith", orgId: "0123456789abcdef", problem: "" };
        assert.deepStrictEqual(answered(state, { orgId: "fedcba9876543210", problem: "" }).orgId, "fedcba9876543210");
        assert.deepStrictEqual(answered(state, { orgId: "", problem: "HTTP 401" }), state);
    });
    it("a first read that cannot tell records the empty ID and why", () => {
        const given = { connection, name: "flagsmith" } as ProbeOutputs;
        assert.deepStrictEqual(answered(given, { orgId: "", problem: "unreachable" }), {
            connection,
            name: "flagsmith",
            orgId: "",
            problem: "unreachable",
        });
    });
});
