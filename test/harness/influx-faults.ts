// Fault injection for reliability tests: latency, random failures of chosen kinds (seeded, so runs repeat),
// scripted one-off faults, and "apply, then drop the answer" for a route.

/**
 * - `503`: Service Unavailable with Retry-After;
 * - `429`: Too Many Requests with Retry-After;
 * - `reset`: the connection is reset before any answer;
 * - `stall`: the answer is held back `stallMs`, then the request is handled normally.
 */
export type FaultKind = "503" | "429" | "reset" | "stall";

export interface FaultOptions {
    /** Added to every request: a fixed delay, or a [min, max] range drawn from the seeded generator. */
    readonly latencyMs?: number | readonly [number, number];
    /** Probability (0..1) that a request fails with one of `kinds`. Default 0. */
    readonly failureRate?: number;
    /** Kinds random failures are drawn from. Default ["503"]. */
    readonly kinds?: readonly FaultKind[];
    /** How long a `stall` holds the request. Default 5000. */
    readonly stallMs?: number;
    /** Retry-After of 503 and 429 answers, in seconds. Default 1. */
    readonly retryAfterSeconds?: number;
    /** Seed of the generator: the same seed and requests give the same faults. Default 1. */
    readonly seed?: number;
    /** Route keys (e.g. `POST /api/v2/buckets`) random faults apply to. Default: all routes. */
    readonly routes?: readonly string[];
}

/** mulberry32: a small, seedable generator of floats in [0, 1). */
function generator(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Counted one-shot behaviours per route key (`*` matches every route). */
class Script<T> {
    private readonly entries: { route: string; value: T; remaining: number }[] = [];

    add(route: string, value: T, times: number): void {
        this.entries.push({ route, value, remaining: times });
    }

    take(route: string): T | undefined {
        const entry = this.entries.find((e) => e.remaining > 0 && (e.route === route || e.route === "*"));
        if (!entry) {
            return undefined;
        }
        entry.remaining--;
        return entry.value;
    }

    clear(): void {
        this.entries.length = 0;
    }
}

export class FaultPlan {
    private options: FaultOptions = {};
    private random: () => number = generator(1);
    private readonly scripted = new Script<FaultKind>();
    private readonly drops = new Script<true>();

    configure(options: FaultOptions | undefined): void {
        this.options = options ?? {};
        this.random = generator(this.options.seed ?? 1);
    }

    /** The next `times` requests on `route` (or `*`) fail with `kind`, whatever the random settings say. */
    inject(route: string, kind: FaultKind, times: number): void {
        this.scripted.add(route, kind, times);
    }

    /** The next `times` requests on `route` are applied, then the connection is reset instead of answered. */
    dropAfterApply(route: string, times: number): void {
        this.drops.add(route, true, times);
    }

    clear(): void {
        this.configure(undefined);
        this.scripted.clear();
        this.drops.clear();
    }

    get stallMs(): number {
        return this.options.stallMs ?? 5000;
    }

    get retryAfterSeconds(): number {
        return this.options.retryAfterSeconds ?? 1;
    }

    latency(): number {
        const latency = this.options.latencyMs ?? 0;
        if (typeof latency === "number") {
            return latency;
        }
        const [min, max] = latency as readonly [number, number];
        return min + Math.floor(this.random() * (max - min + 1));
    }

    /** The fault for this request, if any: scripted ones first, then a seeded draw. */
    decide(route: string): FaultKind | undefined {
        const scripted = this.scripted.take(route);
        if (scripted) {
            return scripted;
        }
        const { failureRate = 0, kinds = ["503"], routes } = this.options;
        if (failureRate <= 0 || (routes && !routes.includes(route)) || kinds.length === 0) {
            return undefined;
        }
        if (this.random() >= failureRate) {
            return undefined;
        }
        return kinds[Math.floor(this.random() * kinds.length)];
    }

    shouldDrop(route: string): boolean {
        return this.drops.take(route) === true;
    }
}
