// The benchmark's command line (`npm run bench -- ...`), parsed before anything runs: a bad value or an unknown flag
// is refused with a message naming it, `--help` prints the usage.

export const USAGE = `usage: npm run bench [-- [--rtt MS] [--out FILE] [--compare FILE] [--help]]

Measures what pulumi up, preview, refresh and destroy cost against the InfluxDB stand-in, prints a table of
figures and targets, and writes the figures as JSON. Exits 1 when a target is missed (and names it), 2 on a bad
command line.

  --rtt MS          round-trip time injected into every request, in milliseconds, a number >= 0
                    (default: $BENCH_RTT_MS, else 20)
  --out FILE        where to write the JSON results (default: bench-results.json in the repository)
  --compare FILE    a previous results file: list every figure that moved by 10% or more
  -h, --help        print this and exit`;

export interface BenchOptions {
    readonly rttMs: number;
    /** Undefined: the default file. */
    readonly out?: string;
    readonly compare?: string;
}

export type BenchArgs =
    | { readonly kind: "run"; readonly options: BenchOptions }
    | { readonly kind: "help" }
    | { readonly kind: "error"; readonly message: string };

const VALUE_FLAGS = ["--rtt", "--out", "--compare"] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

const DEFAULT_RTT_MS = 20;

/** A round-trip time in ms (a finite number >= 0), or why `text` is not one; `source` names where it came from. */
export function parseRtt(text: string, source: string): number | string {
    const trimmed = text.trim();
    const ms = Number(trimmed);
    if (trimmed === "" || !Number.isFinite(ms) || ms < 0) {
        return `${source}: "${text}" is not a round-trip time; give milliseconds, a number >= 0 (e.g. --rtt 20)`;
    }
    return ms;
}

/** Parses the benchmark's arguments (after `--`) and BENCH_RTT_MS. */
export function parseBenchArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchArgs {
    const values: Partial<Record<ValueFlag, string>> = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") {
            return { kind: "help" };
        }
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
        if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
            return { kind: "error", message: `unknown argument "${arg}"; run npm run bench -- --help for the usage` };
        }
        const value = inline ?? argv[++i];
        if (value === undefined || (inline === undefined && value.startsWith("--"))) {
            return { kind: "error", message: `${flag} needs a value` };
        }
        if (value === "") {
            return { kind: "error", message: `${flag} needs a non-empty value` };
        }
        values[flag as ValueFlag] = value;
    }
    const rttSource = values["--rtt"] !== undefined ? "--rtt" : env.BENCH_RTT_MS !== undefined ? "BENCH_RTT_MS" : "";
    const rtt = rttSource === "" ? DEFAULT_RTT_MS : parseRtt(values["--rtt"] ?? env.BENCH_RTT_MS ?? "", rttSource);
    if (typeof rtt === "string") {
        return { kind: "error", message: rtt };
    }
    return { kind: "run", options: { rttMs: rtt, out: values["--out"], compare: values["--compare"] } };
}
