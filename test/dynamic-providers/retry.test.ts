import * as assert from "assert";
import {
    backoffDelay,
    classifyError,
    DEFAULT_RETRY_POLICY,
    isDeadlineExceeded,
    parseRetryAfter,
    RetryDeps,
    withRetry,
} from "../../dynamic-providers/retry";

function httpError(statusCode: number, body = "", headers: Record<string, string> = {}) {
    return Object.assign(new Error(`HTTP ${statusCode}`), { statusCode, body, headers });
}

/** A fake clock: sleeping advances time instantly. */
function fakeDeps(): RetryDeps & { slept: number[] } {
    let t = 0;
    const slept: number[] = [];
    return {
        slept,
        now: () => t,
        sleep: async (ms) => {
            slept.push(ms);
            t += ms;
        },
        random: () => 0.5,
    };
}

describe("retry policy", () => {
    it("retries 429 and 5xx, honouring Retry-After, but not other 4xx or the retention 500", () => {
        assert.deepStrictEqual(classifyError(httpError(429, "", { "retry-after": "3" })), {
            retryable: true,
            maybeApplied: false,
            retryAfterMs: 3000,
        });
        assert.strictEqual(classifyError(httpError(503)).retryable, true);
        assert.strictEqual(classifyError(httpError(503)).maybeApplied, true);
        assert.strictEqual(classifyError(httpError(503)).notReady, true);
        assert.strictEqual(classifyError(httpError(500)).notReady, undefined);
        for (const s of [400, 401, 403, 404, 409, 422]) {
            assert.strictEqual(classifyError(httpError(s)).retryable, false, `status ${s}`);
        }
        const retention = httpError(
            500,
            '{"code":"internal error","message":"retention policy duration must be at least 1h0m0s"}',
        );
        assert.strictEqual(classifyError(retention).retryable, false);
    });

    it("does not retry a 500 that carries InfluxDB's error body (the server refused), but retries a bare 500", () => {
        for (const message of [
            'unexpected error parsing time: time: unknown unit \\"d\\" in duration \\"1d\\"',
            "failed to create task: unauthorized",
        ]) {
            const refused = httpError(500, `{"code":"internal error","message":"${message}"}`);
            assert.strictEqual(classifyError(refused).retryable, false, message);
        }
        assert.strictEqual(classifyError(httpError(500, "<html>Internal Server Error</html>")).retryable, true);
        assert.strictEqual(classifyError(httpError(500)).retryable, true);
        for (const s of [502, 503, 504]) {
            assert.strictEqual(classifyError(httpError(s, '{"code":"unavailable","message":"x"}')).retryable, true);
        }
    });

    it("retries connection errors; a refused connection was certainly not applied", () => {
        assert.deepStrictEqual(classifyError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), {
            retryable: true,
            maybeApplied: false,
            notReady: true,
        });
        assert.deepStrictEqual(classifyError(Object.assign(new Error("x"), { code: "ECONNRESET" })), {
            retryable: true,
            maybeApplied: true,
        });
        assert.strictEqual(
            classifyError(Object.assign(new Error("t"), { name: "RequestTimedOutError" })).retryable,
            true,
        );
        assert.strictEqual(classifyError(new Error("boom")).retryable, false);
    });

    it("parses Retry-After as seconds or an HTTP date", () => {
        assert.strictEqual(parseRetryAfter("2", 0), 2000);
        assert.strictEqual(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
        assert.strictEqual(parseRetryAfter(undefined, 0), undefined);
        assert.strictEqual(parseRetryAfter("soon", 0), undefined);
    });

    it("backs off exponentially with jitter, capped, with Retry-After as a floor", () => {
        const p = { baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 10_000, pollIntervalMs: 1000 };
        assert.strictEqual(backoffDelay(0, p, 0), 50);
        assert.strictEqual(backoffDelay(0, p, 1), 100);
        assert.strictEqual(backoffDelay(3, p, 1), 800);
        assert.strictEqual(backoffDelay(10, p, 1), 1000);
        assert.strictEqual(backoffDelay(0, p, 1, 5000), 5000);
    });

    it("polls at most every pollIntervalMs while the server is not up yet, unless it asks for longer", () => {
        assert.strictEqual(backoffDelay(10, DEFAULT_RETRY_POLICY, 1), 10_000);
        assert.strictEqual(backoffDelay(10, DEFAULT_RETRY_POLICY, 1, undefined, true), 1000);
        assert.strictEqual(backoffDelay(0, DEFAULT_RETRY_POLICY, 1, undefined, true), 250);
        assert.strictEqual(backoffDelay(10, DEFAULT_RETRY_POLICY, 1, 3000, true), 3000);
    });

    it("retries a refused connection for the whole deadline with no sleep over one poll interval", async () => {
        const deps = fakeDeps();
        await withRetry(
            async () => {
                throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
            },
            { ...DEFAULT_RETRY_POLICY, deadlineMs: 60_000 },
            deps,
        ).catch((e: unknown) => e);
        assert.ok(deps.slept.length > 50, `${deps.slept.length} attempts`);
        assert.ok(Math.max(...deps.slept) <= 1000, `longest sleep ${Math.max(...deps.slept)} ms`);
    });

    it("retries until success", async () => {
        const deps = fakeDeps();
        let calls = 0;
        const result = await withRetry(
            async () => {
                calls++;
                if (calls < 3) throw httpError(503);
                return "ok";
            },
            DEFAULT_RETRY_POLICY,
            deps,
        );
        assert.strictEqual(result, "ok");
        assert.strictEqual(calls, 3);
        assert.strictEqual(deps.slept.length, 2);
    });

    it("never retries a 4xx", async () => {
        let calls = 0;
        await assert.rejects(
            withRetry(
                async () => {
                    calls++;
                    throw httpError(422);
                },
                DEFAULT_RETRY_POLICY,
                fakeDeps(),
            ),
            /HTTP 422/,
        );
        assert.strictEqual(calls, 1);
    });

    it("gives up at the deadline with the last error", async () => {
        const deps = fakeDeps();
        const err = await withRetry(
            async () => {
                throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
            },
            { baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 5000, pollIntervalMs: 1000 },
            deps,
        ).catch((e: unknown) => e);
        assert.ok(isDeadlineExceeded(err));
        assert.ok(deps.now() <= 5000, `stopped at ${deps.now()} ms`);
        assert.match((err as Error).message, /deadline 5s/);
    });

    it("asks beforeRetry after a failure that may have been applied, and stops when it finds the resource", async () => {
        let posts = 0;
        const result = await withRetry(
            async () => {
                posts++;
                throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
            },
            DEFAULT_RETRY_POLICY,
            fakeDeps(),
            async () => "found",
        );
        assert.strictEqual(result, "found");
        assert.strictEqual(posts, 1);
    });
});
