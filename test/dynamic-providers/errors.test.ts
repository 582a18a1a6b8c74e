// The one error mapper (dynamic-providers/errors.ts): what went wrong, which resource, the server's code and message,
// never a token; and what a refused token is told.
import * as assert from "assert";
import { isInfluxApiError, mapError, redact, refusalHint } from "../../dynamic-providers/errors";

describe("error mapper", () => {
    it("names the operation, status, server code and message", () => {
        const e = mapError(
            Object.assign(new Error("HTTP 422"), {
                statusCode: 422,
                body: JSON.stringify({ code: "conflict", message: 'bucket with name "x" already exists' }),
            }),
            'create bucket "x"',
            "http://localhost:8086",
            [],
        );
        assert.ok(isInfluxApiError(e));
        assert.strictEqual(e.status, 422);
        assert.strictEqual(e.code, "conflict");
        assert.strictEqual(
            e.message,
            'create bucket "x" failed: HTTP 422 conflict: bucket with name "x" already exists',
        );
    });

    it("says when the server cannot be reached, and redacts secrets", () => {
        const token = "s3cr3t-token-value";
        const e = mapError(
            Object.assign(new Error(`connect failed with ${token}`), { code: "ECONNREFUSED" }),
            "read bucket 1",
            "http://localhost:1",
            [token],
        );
        assert.match(e.message, /cannot reach InfluxDB at http:\/\/localhost:1 \(ECONNREFUSED\)/);
        assert.ok(!e.message.includes(token));
        assert.strictEqual(redact("a secret b", ["secret"]), "a [secret] b");
    });
});

describe("what a refused token is told", () => {
    it("names the permission a token lacks, a grant it cannot make, and an unknown or inactive token apart", () => {
        assert.match(
            refusalHint(401, "write:orgs/0123456789abcdef/buckets is unauthorized", "create bucket"),
            /lacks the permission write:orgs\/0123456789abcdef\/buckets/,
        );
        assert.match(refusalHint(403, "permission read:instance is not allowed", "create token"), /cannot grant/);
        assert.match(
            refusalHint(401, "token is inactive", "read bucket"),
            /unknown to this server, deleted or inactive/,
        );
        assert.match(refusalHint(404, "failed to find task: unauthorized", "read task 1"), /may not manage tasks/);
        assert.strictEqual(refusalHint(404, "bucket not found", "read bucket 1"), "");
    });
});
