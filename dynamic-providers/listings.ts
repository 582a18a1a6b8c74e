// Shared listings: a refresh reads every resource at once, so the reads of one kind in one organization share one
// listing (paged) instead of a GET each: the reads that start while it runs, and those that start within
// LISTING_REUSE_MS after it finished (the plugin receives a refresh's reads over a few hundred milliseconds). A plugin
// process serves one Pulumi command, so no listing outlives the command that made it.
//
// THE INVARIANT: a read never misses a change this process made, because every write to a server drops that server's
// listings before it starts and after it ends (client.ts `writeApi` calls `forgetListings`).
import { createHash } from "crypto";

/** How long a finished listing keeps serving reads, in milliseconds. */
export const LISTING_REUSE_MS = 2000;

interface Listing {
    readonly url: string;
    readonly items: Promise<ReadonlyMap<string, unknown>>;
    /** When it finished (undefined while it runs). */
    finishedAt?: number;
}

/** Listings running or recently finished, by server, token, kind and organization (hashed). */
const listings = new Map<string, Listing>();

/** Drops every listing of the server at `url` (a write is about to change it, or just did). */
export function forgetListings(url: string): void {
    for (const [key, listing] of listings) {
        if (listing.url === url) listings.delete(key);
    }
}

/**
 * The items (by ID) of the listing identified by server, token, kind and organization: the one running or finished
 * within LISTING_REUSE_MS, else a new one started with `list`. A listing that fails is not kept.
 */
export function sharedListing(
    key: { readonly url: string; readonly token: string; readonly kind: string; readonly orgId: string },
    list: () => Promise<readonly { id?: string }[] | undefined>,
): Promise<ReadonlyMap<string, unknown>> {
    const hash = createHash("sha256").update(`${key.url}\n${key.token}\n${key.kind}\n${key.orgId}`).digest("hex");
    const known = listings.get(hash);
    if (known && (known.finishedAt === undefined || Date.now() - known.finishedAt <= LISTING_REUSE_MS)) {
        return known.items;
    }
    const started: Listing = {
        url: key.url,
        items: list().then((items) => new Map((items ?? []).map((item) => [item.id ?? "", item]))),
    };
    listings.set(hash, started);
    started.items.then(
        () => (started.finishedAt = Date.now()),
        () => listings.get(hash) === started && listings.delete(hash),
    );
    return started.items;
}
