// Backfill: the provider the dynamic-provider plugin runs (check, diff rules, create/read/update/delete). The resource
// class programs import is backfill.ts.
import { Connection, writeApi } from "./client";
import { checkConnection, checkId, compact, connectionKey, diffByRules, DiffRule, isUnknown } from "./common";
import { analyzeFlux } from "./flux/analyzer";
import { influxProvider } from "./resource";

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
