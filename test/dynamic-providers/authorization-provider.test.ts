// The authorization provider's pure check, diff and mapping functions (dynamic-providers/authorization-provider.ts).
import * as assert from "assert";
import {
    checkAuthorization,
    diffAuthorization,
    normalizeAuthorizationInputs,
} from "../../dynamic-providers/authorization-provider";
import { UNKNOWN } from "../../dynamic-providers/common";

const conn = { url: "http://localhost:8086", token: "t0ken-value" };
const ORG = "0123456789abcdef";
const props = (failures: { property: string }[]) => failures.map((f) => f.property);

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
