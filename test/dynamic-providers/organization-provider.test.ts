// The organization (and its probe) provider's pure check, diff and mapping functions (dynamic-providers/organization-provider.ts).
import * as assert from "assert";
import { UNKNOWN } from "../../dynamic-providers/common";
import { answered, checkOrganization, ProbeOutputs } from "../../dynamic-providers/organization-provider";

const conn = { url: "http://localhost:8086", token: "t0ken-value" };
const props = (failures: { property: string }[]) => failures.map((f) => f.property);

describe("organization check", () => {
    it("needs a name", () => {
        assert.deepStrictEqual(props(checkOrganization({ connection: conn, name: "" })), ["name"]);
        assert.deepStrictEqual(checkOrganization({ connection: conn, name: UNKNOWN }), []);
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
