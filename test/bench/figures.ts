// Pure arithmetic of the benchmark: round trips on the critical path, per-phase figures, targets and comparisons.

/** One request as the server saw it (milliseconds on one clock). */
export interface Span {
    readonly route: string;
    readonly startMs: number;
    readonly endMs: number;
}

/**
 * Round trips the phase needed one after another: the longest chain of requests in which each arrived after the
 * previous one was answered (the largest set of pairwise non-overlapping requests, found greedily by end time).
 * Requests that overlap ran in parallel and count once.
 */
export function sequentialRoundTrips(spans: readonly Span[]): number {
    let count = 0;
    let lastEnd = -Infinity;
    for (const span of [...spans].sort((a, b) => a.endMs - b.endMs)) {
        if (span.startMs >= lastEnd) {
            count++;
            lastEnd = span.endMs;
        }
    }
    return count;
}

/** Requests that change something on the server (the backfill's query writes through `to()`). */
export function isWrite(route: string): boolean {
    return /^(POST|PATCH|PUT|DELETE) /.test(route);
}

/** What one phase (create, preview, ...) of one scenario cost. */
export interface PhaseFigures {
    readonly requests: number;
    readonly writes: number;
    /** Requests per route key. */
    readonly byRoute: Readonly<Record<string, number>>;
    /** Measured round trips on the critical path (sequentialRoundTrips). */
    readonly roundTrips: number;
    readonly wallMs: number;
    /** The fewest round trips the dependency graph allows for this phase. */
    readonly limitRoundTrips: number;
    /** limitRoundTrips x RTT: the physical limit. */
    readonly limitMs: number;
    /** wallMs / limitMs; undefined when the limit is 0 (nothing needs the network). */
    readonly ratio: number | undefined;
}

export function phaseFigures(
    spans: readonly Span[],
    wallMs: number,
    limitRoundTrips: number,
    rttMs: number,
): PhaseFigures {
    const byRoute: Record<string, number> = {};
    for (const s of spans) {
        byRoute[s.route] = (byRoute[s.route] ?? 0) + 1;
    }
    const limitMs = limitRoundTrips * rttMs;
    return {
        requests: spans.length,
        writes: spans.filter((s) => isWrite(s.route)).length,
        byRoute,
        roundTrips: sequentialRoundTrips(spans),
        wallMs,
        limitRoundTrips,
        limitMs,
        ratio: limitMs > 0 ? wallMs / limitMs : undefined,
    };
}

/** A target from the issue, with the measured value and whether it is met. */
export interface Target {
    readonly name: string;
    readonly goal: string;
    readonly measured: string;
    readonly met: boolean;
}

export function target(name: string, goal: string, measured: number | string, met: boolean): Target {
    return { name, goal, measured: String(measured), met };
}

/** Numeric leaves of a JSON value, by dotted path (arrays by index). */
export function numericLeaves(value: unknown, prefix = ""): Map<string, number> {
    const out = new Map<string, number>();
    if (typeof value === "number") {
        out.set(prefix, value);
    } else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            for (const [path, n] of numericLeaves(v, prefix ? `${prefix}.${k}` : k)) {
                out.set(path, n);
            }
        }
    }
    return out;
}

/** Figures that changed between two result files: `[path, before, after]`, ignoring changes under `tolerance`. */
export function compareResults(before: unknown, after: unknown, tolerance = 0.1): [string, number, number][] {
    const old = numericLeaves(before);
    const changed: [string, number, number][] = [];
    for (const [path, now] of numericLeaves(after)) {
        const was = old.get(path);
        if (was === undefined || was === now) {
            continue;
        }
        const relative = Math.abs(now - was) / Math.max(Math.abs(was), 1e-9);
        if (relative >= tolerance) {
            changed.push([path, was, now]);
        }
    }
    return changed;
}

/** What the benchmark concludes from its targets: exit 1 and one line per missed target, or exit 0. */
export function benchVerdict(targets: readonly Target[]): { exitCode: 0 | 1; lines: string[] } {
    const missed = targets.filter((t) => !t.met);
    if (missed.length === 0) {
        return { exitCode: 0, lines: [`all ${targets.length} targets met`] };
    }
    return {
        exitCode: 1,
        lines: [
            `${missed.length} of ${targets.length} targets missed:`,
            ...missed.map((t) => `  MISSED ${t.name}: goal ${t.goal}, measured ${t.measured}`),
        ],
    };
}
