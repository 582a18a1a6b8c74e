// Third-party reference data the tests compare against (the InfluxDB OpenAPI contract, Flagsmith's docs page, the
// charts' values files and sources). It is not part of the repository: it lives beside it, in ../shared/reference,
// on the workplace machines and in CI, and a plain `git clone` has none of it.
//
// Tests that need it declare it with describeWithReference and read it in before()/it(), never while the file is
// loaded. When a file is missing, the block is replaced by one pending test whose title names the file ("skipped:
// reference data missing: ..."), so the rest of the suite runs and passes; with REQUIRE_SHARED=1 (set by .ci/run,
// which always has the data) the block fails instead, naming the file. FLAGSMITH_INFLUXDB_SHARED points the tests at
// another shared folder (the one that holds `reference/`).
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository's root (this file lives in test/harness). */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Environment variable naming the shared folder (default: `shared` beside the repository). */
export const SHARED_ENV = "FLAGSMITH_INFLUXDB_SHARED";
/** Environment variable that turns a missing reference file into a failure (`REQUIRE_SHARED=1`). */
export const REQUIRE_ENV = "REQUIRE_SHARED";
/** The start of every line that reports a missing reference file; .ci/run looks for it. */
export const MISSING_MARKER = "reference data missing:";

type Env = Readonly<Record<string, string | undefined>>;

/** The shared folder: $FLAGSMITH_INFLUXDB_SHARED, else `../shared` relative to the repository. */
export function sharedRoot(env: Env = process.env): string {
    return path.resolve(env[SHARED_ENV] || path.join(PROJECT_ROOT, "..", "shared"));
}

/** A file of the reference data, e.g. `referencePath("influxdb-v2-oss-openapi.yml")`. */
export function referencePath(name: string, env: Env = process.env): string {
    return path.join(sharedRoot(env), "reference", name);
}

/** Whether a missing reference file is a failure rather than a skip. */
export function referenceRequired(env: Env = process.env): boolean {
    return env[REQUIRE_ENV] === "1";
}

/** A path as the messages show it: relative to the repository when it is beside it, else absolute. */
export function displayPath(file: string): string {
    const relative = path.relative(PROJECT_ROOT, file);
    return relative.startsWith(path.join("..", "..")) || path.isAbsolute(relative) ? file : relative;
}

/** The one line that reports missing reference files. */
export function missingReferenceLine(missing: readonly string[]): string {
    const files = missing.map(displayPath).join(", ");
    return `${MISSING_MARKER} ${files} (third-party files beside the repository, absent from a plain clone; CI has them)`;
}

/** The files among `files` that do not exist. */
export function missingReference(files: readonly string[]): string[] {
    return files.filter((f) => !fs.existsSync(f));
}

/** The error a missing reference file is when REQUIRE_SHARED=1. */
export function missingReferenceError(missing: readonly string[]): Error {
    return new Error(`${missingReferenceLine(missing)}; ${REQUIRE_ENV}=1 makes this a failure`);
}

/**
 * `describe(title, body)` when every file in `files` exists. Otherwise one test stands for the whole block: a
 * pending one titled "skipped: reference data missing: <files> ...", or, with REQUIRE_SHARED=1, a failing one that
 * names the files. `body` must read the files in before()/it(), not while it runs.
 */
export function describeWithReference(title: string, files: readonly string[], body: () => void): void {
    const missing = missingReference(files);
    if (missing.length === 0) {
        describe(title, body);
        return;
    }
    describe(title, () => {
        if (referenceRequired()) {
            it("has its reference data", () => {
                throw missingReferenceError(missing);
            });
        } else {
            it.skip(`skipped: ${missingReferenceLine(missing)}`);
        }
    });
}

/** Flagsmith's page "Using InfluxDB for analytics", whose Flux tasks the program must reproduce. */
export const FLAGSMITH_DOCS = referencePath("flagsmith-docs-using-influxdb-for-analytics.md");

/** The Flux tasks of Flagsmith's docs: the fenced blocks that declare `option task`. Reads the file. */
export function docsTasks(): string[] {
    const markdown = fs.readFileSync(FLAGSMITH_DOCS, "utf8");
    const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
    return blocks.filter((block) => block.includes("option task"));
}
