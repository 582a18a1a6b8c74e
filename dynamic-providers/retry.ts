// One retry policy for every InfluxDB call: exponential backoff with jitter, Retry-After honoured, a hard deadline.
// Pure: the clock, the sleeper and the random source are parameters so tests drive them.
import { isQuotaRefusal } from "./errors";

/** How calls are retried. */
export interface RetryPolicy {
    /** First backoff delay, in milliseconds. */
    readonly baseDelayMs: number;
    /** Largest backoff delay, in milliseconds (a server's Retry-After may ask for more, up to the deadline). */
    readonly maxDelayMs: number;
    /** Total time budget for the operation including all retries, in milliseconds. */
    readonly deadlineMs: number;
    /**
     * Largest delay while the server is not up yet (connection refused, 503), in milliseconds: how long the first
     * call may lag behind InfluxDB becoming ready. A server's Retry-After still wins.
     */
    readonly pollIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
    baseDelayMs: 250,
    maxDelayMs: 10_000,
    deadlineMs: 120_000,
    pollIntervalMs: 1000,
};

/** What a failure means for the retry loop. */
export interface Classification {
    /** The same request may be sent again. */
    readonly retryable: boolean;
    /** The request may have been applied by the server even though no answer arrived (timeouts, resets, 5xx). */
    readonly maybeApplied: boolean;
    /** Delay the server asked for (Retry-After), in milliseconds. */
    readonly retryAfterMs?: number;
    /** The server is not up yet (refused, 503): poll at `pollIntervalMs` rather than back off further. */
    readonly notReady?: boolean;
}

// Connection error codes that may be retried.
const NETWORK_CODES: readonly string[] = [
    "ECONNRESET",
    "ECONNREFUSED",
    "ECONNABORTED",
    "EPIPE",
    "ETIMEDOUT",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "UND_ERR_SOCKET",
];

interface ErrorLike {
    readonly statusCode?: number;
    readonly code?: string;
    readonly name?: string;
    readonly message?: string;
    readonly body?: string;
    readonly json?: unknown;
    readonly headers?: Record<string, string | string[] | undefined>;
    readonly cause?: unknown;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
    const raw = Array.isArray(value) ? value[0] : value;
    if (raw === undefined || raw.trim() === "") {
        return undefined;
    }
    if (/^\d+(\.\d+)?$/.test(raw.trim())) {
        return Math.round(Number(raw) * 1000);
    }
    const date = Date.parse(raw);
    return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * A 500 that carries InfluxDB's own error body (`{"code": "internal error", "message": ...}`) is the server refusing
 * the request, not an outage: InfluxDB 2.7 answers 500 for an offset it cannot parse (task/taskmodel/task_errors.go
 * `ErrTaskTimeParse`), a token that may not manage tasks, and authorization type errors; every API error goes out
 * through one encoder that writes that body (kit/transport/http/error_handler.go `ErrorHandler.HandleHTTPError`).
 * So it is not retried: the cause reaches the user at once. A 500 without that body (a proxy, a crash) and 502, 503,
 * 504 are retried. The retention messages are kept for servers that answer them without a code. A reached plan quota
 * (errors.ts `isQuotaRefusal`) is never retried, whatever its status (429 included).
 */
export function isPermanentServerError(e: ErrorLike): boolean {
    if (e.statusCode === 500 && hasInfluxErrorCode(e)) {
        return true;
    }
    const text = `${e.body ?? ""} ${e.message ?? ""}`;
    return /retention policy duration|shard-group duration/i.test(text) || isQuotaRefusal(text);
}

function hasInfluxErrorCode(e: ErrorLike): boolean {
    if (e.json && typeof e.json === "object" && typeof (e.json as { code?: unknown }).code === "string") {
        return true;
    }
    try {
        const parsed = JSON.parse(e.body ?? "") as { code?: unknown };
        return typeof parsed?.code === "string";
    } catch {
        return false;
    }
}

/** Decides whether an error from the InfluxDB client may be retried. */
export function classifyError(error: unknown, nowMs = Date.now()): Classification {
    const e = (error ?? {}) as ErrorLike;
    if (typeof e.statusCode === "number") {
        const status = e.statusCode;
        if (status === 429 && !isPermanentServerError(e)) {
            return {
                retryable: true,
                maybeApplied: false,
                retryAfterMs: parseRetryAfter(e.headers?.["retry-after"], nowMs),
            };
        }
        if (status >= 500 && !isPermanentServerError(e)) {
            return {
                retryable: true,
                maybeApplied: true,
                retryAfterMs: parseRetryAfter(e.headers?.["retry-after"], nowMs),
                ...(status === 503 ? { notReady: true } : {}),
            };
        }
        return { retryable: false, maybeApplied: false };
    }
    const cause = (e.cause ?? {}) as ErrorLike;
    const code = e.code ?? cause.code;
    if (code === "ECONNREFUSED") {
        // Nothing reached the server: it is not listening (yet).
        return { retryable: true, maybeApplied: false, notReady: true };
    }
    if ((code !== undefined && NETWORK_CODES.includes(code)) || e.name === "RequestTimedOutError") {
        return { retryable: true, maybeApplied: true };
    }
    if (/socket hang up|request timed out|ECONNRESET/i.test(e.message ?? "")) {
        return { retryable: true, maybeApplied: true };
    }
    return { retryable: false, maybeApplied: false };
}

/**
 * Backoff before attempt `attempt + 1` (attempt counts from 0): exponential, full jitter, Retry-After as a floor;
 * at most `pollIntervalMs` while the server is not up yet.
 */
export function backoffDelay(
    attempt: number,
    policy: RetryPolicy,
    random: number,
    retryAfterMs?: number,
    notReady = false,
): number {
    const cap = notReady ? Math.min(policy.maxDelayMs, policy.pollIntervalMs) : policy.maxDelayMs;
    const exp = Math.min(cap, policy.baseDelayMs * 2 ** attempt);
    const jittered = exp / 2 + (exp / 2) * random;
    return Math.round(retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered);
}

/** Side effects of the retry loop, injectable for tests. */
export interface RetryDeps {
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly random: () => number;
}

export const REAL_DEPS: RetryDeps = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: () => Math.random(),
};

/** Raised when the deadline passes; carries the last underlying error. (A plain Error: see errors.ts.) */
export interface DeadlineExceededError extends Error {
    readonly name: "DeadlineExceededError";
    readonly lastError: unknown;
}

export function isDeadlineExceeded(e: unknown): e is DeadlineExceededError {
    return e instanceof Error && e.name === "DeadlineExceededError";
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, or the deadline passes. `beforeRetry` runs after a
 * failure that may have been applied by the server and may return a value to finish with instead of retrying
 * (used to find a resource whose create answer was lost).
 */
export async function withRetry<T>(
    fn: (attempt: number) => Promise<T>,
    policy: RetryPolicy,
    deps: RetryDeps = REAL_DEPS,
    beforeRetry?: (error: unknown) => Promise<T | undefined>,
): Promise<T> {
    const start = deps.now();
    for (let attempt = 0; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (error) {
            const c = classifyError(error, deps.now());
            if (!c.retryable) {
                throw error;
            }
            const delay = backoffDelay(attempt, policy, deps.random(), c.retryAfterMs, c.notReady);
            const elapsed = deps.now() - start;
            if (elapsed + delay > policy.deadlineMs) {
                const message = `gave up after ${attempt + 1} attempt(s) in ${Math.round(elapsed / 1000)}s (deadline ${Math.round(policy.deadlineMs / 1000)}s)`;
                throw Object.assign(new Error(message), { name: "DeadlineExceededError" as const, lastError: error });
            }
            await deps.sleep(delay);
            if (c.maybeApplied && beforeRetry) {
                const found = await beforeRetry(error);
                if (found !== undefined) {
                    return found;
                }
            }
        }
    }
}
