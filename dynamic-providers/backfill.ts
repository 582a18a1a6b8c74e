// Backfill: runs a downsampling query once over a past range, so Flagsmith's analytics screens are not empty on day
// one. Create-only: a changed query or range replaces it (runs again); delete does nothing (the data stays in the
// downsampled bucket, which is itself managed). Idempotent on the server side: the query's `to()` rewrites the same
// points (same series and timestamps) with the same values, so running it twice does not double any count.
import * as pulumi from "@pulumi/pulumi";
import { Connection, writeApi } from "./client";
import { checkConnection, checkId, compact, connectionKey, diffByRules, DiffRule, isUnknown } from "./common";
import { InfluxResource, InfluxResourceArgs, influxProvider } from "./resource";
import { analyzeFlux } from "./flux";

/** Arguments of a Backfill. */
export interface BackfillArgs extends InfluxResourceArgs {
    /** The Flux query to run once (no `option task`). A change runs it again. */
    readonly flux: pulumi.Input<string>;
    /** What it backfills, for people reading the state. */
    readonly description?: pulumi.Input<string>;
}

interface BackfillInputs {
    readonly connection: Connection;
    readonly orgId: string;
    readonly flux: string;
    readonly description?: string;
}

interface BackfillOutputs extends BackfillInputs {
    readonly ranAt: string;
}

/** Validates the query offline with the Flux analyzer. */
export async function checkBackfill(news: Record<string, unknown>) {
    const failures = [...checkConnection(news.connection), ...checkId("orgId", news.orgId)];
    if (!isUnknown(news.flux)) {
        if (typeof news.flux !== "string" || news.flux.trim() === "") {
            failures.push({ property: "flux", reason: "flux must be a non-empty Flux query" });
        } else {
            for (const d of await analyzeFlux(news.flux)) {
                if (d.severity === "error") {
                    failures.push({
                        property: "flux",
                        reason: `Flux error at line ${d.line}, column ${d.column}: ${d.message}`,
                    });
                }
            }
        }
    }
    return failures;
}

const BACKFILL_RULES: readonly DiffRule<Partial<BackfillInputs>, Partial<BackfillInputs>>[] = [
    { name: "orgId", old: (o) => o.orgId, new: (n) => n.orgId, replaces: true },
    { name: "flux", old: (o) => o.flux, new: (n) => n.flux, replaces: true },
    { name: "description", old: (o) => o.description ?? "", new: (n) => n.description ?? "" },
    { name: "connection", old: (o) => connectionKey(o.connection), new: (n) => connectionKey(n.connection) },
];

/** Pure diff: a new query or organization runs the backfill again (replacement); the rest is bookkeeping. */
export function diffBackfill(olds: Partial<BackfillInputs>, news: Partial<BackfillInputs>) {
    return diffByRules(olds, news, BACKFILL_RULES);
}

async function runBackfill(i: BackfillInputs): Promise<{ id: string; outs: BackfillOutputs }> {
    const ranAt = new Date().toISOString();
    // A failure leaves no Backfill in the state, so the next `pulumi up` runs it again (it rewrites the same points).
    await writeApi(i.connection, `backfill "${i.description ?? "query"}"`, (a) => a.runForEffects(i.orgId, i.flux));
    return { id: `${i.orgId}-${Date.now().toString(36)}`, outs: compact({ ...i, ranAt }) };
}

// Read keeps the state as is (a query leaves nothing to read); delete is not given (the backfilled points belong to
// the downsampled bucket).
export const backfillProvider = influxProvider<BackfillInputs, BackfillOutputs>({
    check: checkBackfill,
    diff: diffBackfill,
    create: runBackfill,
    update: async (_id, olds, news) => compact({ ...news, ranAt: olds.ranAt }),
});

/** Runs a Flux query once (a backfill); see the file header for idempotence. */
export class Backfill extends InfluxResource {
    /** When the query ran (ISO 8601). */
    declare public readonly ranAt: pulumi.Output<string>;

    constructor(name: string, args: BackfillArgs, opts?: pulumi.CustomResourceOptions) {
        super("Backfill", name, args, ["ranAt"], opts);
    }
}
