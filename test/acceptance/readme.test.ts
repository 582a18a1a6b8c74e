// README.md cannot drift from the code: the stack settings tables against Pulumi.yaml and the keys the program accepts
// (stackSettingKeys, built from the validation's own lists), with the defaults the code defines; the stack outputs;
// the workflow settings of the CI/CD section; the quick-start commands and the sections a newcomer needs. The
// developer's sections (tests, the provider suite against a real InfluxDB) live in DEVELOPMENT.md. Both documents
// read in a 120-column terminal: no line is longer, code blocks included.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { DEFAULT_RETENTION } from "../../components/analytics";
import { DEFAULT_API_PORT, DEFAULT_FLAGSMITH_IMAGE } from "../../components/flagsmith-docker";
import { DEFAULT_DOCKER_IMAGE, INFLUXDB_CONTAINER_PORT } from "../../components/influxdb-docker";
import { INFLUXDB2_CHART_KEYS_FILE } from "../../components/influxdb-kubernetes";
import { INFLUX_PLATFORMS } from "../../components/settings/influxdb";
import { StackSettingKey, stackSettingKeys } from "../../components/settings/stack";
import { DEFAULT_INFLUXDB_TAG, parseRetention } from "../../components/settings/validators";
import { runProgram } from "../harness/mocks";
import { programMocks } from "../harness/program-mocks";

const root = path.join(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const development = fs.readFileSync(path.join(root, "DEVELOPMENT.md"), "utf8");
/** The widest line either document may have: what a 120-column terminal shows without wrapping. */
const MAX_LINE = 120;
const TYPES = ["string", "boolean", "integer", "duration", "list", "object", "secret"];

/** The text of a `## ` section of `doc` (README.md unless given), up to the next `## `. */
function section(title: string, doc = readme): string {
    const start = doc.indexOf(`\n## ${title}\n`);
    assert.ok(start >= 0, `${doc === readme ? "README.md" : "DEVELOPMENT.md"} section "## ${title}"`);
    const end = doc.indexOf("\n## ", start + 1);
    return doc.slice(start, end < 0 ? undefined : end);
}

/** Every Markdown table of `text`, in order: one record per row, keyed by that table's header cells. */
function tables(text: string): Record<string, string>[][] {
    const cells = (line: string) =>
        line
            .slice(1, -1)
            .split(/(?<!\\)\|/)
            .map((c) => c.trim());
    const blocks: string[][] = [];
    let current: string[] | undefined;
    for (const line of text.split("\n")) {
        if (!line.startsWith("|")) {
            current = undefined;
        } else if (current) {
            current.push(line);
        } else {
            blocks.push((current = [line]));
        }
    }
    return blocks.map((block) => {
        const [header, , ...rows] = block.map(cells);
        return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
    });
}

/** The first Markdown table of `text`. */
function table(text: string): Record<string, string>[] {
    return tables(text)[0] ?? [];
}

/** The lines of `doc` longer than `max` characters, as `line N (L characters)`. */
function longLines(doc: string, max = MAX_LINE): string[] {
    return doc
        .split("\n")
        .map((line, i) => [i + 1, [...line].length] as const)
        .filter(([, length]) => length > max)
        .map(([n, length]) => `line ${n} (${length} characters)`);
}

/** The backticked names in a cell. */
const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

interface Row {
    readonly key: string;
    readonly type: string;
    readonly default: string;
    readonly platforms: string;
}
interface ProjectConfig {
    readonly [key: string]: { readonly type: string; readonly default?: unknown };
}

/** The rows of every table of the settings section (the keys are grouped in several tables of the same columns). */
const settingsRows = (): Row[] =>
    tables(section("Stack settings"))
        .flat()
        .map((r) => ({
            key: names(r.Key).join(" "),
            type: r.Type,
            default: r.Default,
            platforms: r.Platforms,
        }));

/** Everything that makes the settings table disagree with the code. Empty when it agrees. */
function settingsTableProblems(
    rows: readonly Row[],
    keys: readonly StackSettingKey[],
    project: ProjectConfig,
): string[] {
    const problems: string[] = [];
    const byKey = new Map(rows.map((r) => [r.key, r]));
    if (byKey.size !== rows.length) {
        problems.push("a key has two rows");
    }
    for (const k of keys) {
        const row = byKey.get(k.path);
        if (!row) {
            problems.push(`${k.path}: accepted by the program, missing from the README table`);
            continue;
        }
        const listed = row.platforms === "all" ? [...INFLUX_PLATFORMS] : row.platforms.split(/,\s*/);
        if (listed.some((p) => !(INFLUX_PLATFORMS as readonly string[]).includes(p))) {
            problems.push(`${k.path}: platforms "${row.platforms}" (use all, or docker, kubernetes, external)`);
        }
        if (k.platforms && listed.sort().join() !== [...k.platforms].sort().join()) {
            problems.push(`${k.path}: platforms "${row.platforms}", the program reads it on ${k.platforms.join(", ")}`);
        }
        if (!TYPES.includes(row.type) || (row.type === "secret") !== (k.secret === true)) {
            problems.push(`${k.path}: type "${row.type}"`);
        }
    }
    for (const row of rows) {
        if (!keys.some((k) => k.path === row.key)) {
            problems.push(`${row.key}: documented, but the program does not accept it`);
        }
    }
    for (const [key, decl] of Object.entries(project)) {
        const row = byKey.get(key);
        if (!row) {
            problems.push(`${key}: declared in Pulumi.yaml, missing from the README table`);
        } else if (row.type !== decl.type || names(row.default)[0] !== String(decl.default)) {
            problems.push(`${key}: README says ${row.type} ${row.default}, Pulumi.yaml ${decl.type} ${decl.default}`);
        }
    }
    return problems;
}

describe("README", function () {
    this.timeout(60_000);

    describe("stack settings table", function () {
        const project = (parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config: ProjectConfig })
            .config;
        const rows = settingsRows();
        const keys = stackSettingKeys();

        it("documents every key the program accepts and Pulumi.yaml declares, with their types, defaults and platforms", function () {
            const settingsTables = tables(section("Stack settings"));
            assert.ok(settingsTables.length > 0, "a settings table");
            for (const [i, t] of settingsTables.entries()) {
                assert.ok(t.length > 0, `settings table ${i + 1} has rows`);
                for (const column of ["Key", "Type", "Default", "Platforms"]) {
                    assert.ok(column in t[0], `settings table ${i + 1} has a ${column} column`);
                }
            }
            assert.ok(rows.length > 50, `${rows.length} rows`);
            assert.deepStrictEqual(settingsTableProblems(rows, keys, project), []);
        });

        it("fails for a key added to the program or to Pulumi.yaml without a row, and for a stale row", function () {
            const added = [...keys, { path: "flagsmith.replicas" }];
            assert.deepStrictEqual(settingsTableProblems(rows, added, project), [
                "flagsmith.replicas: accepted by the program, missing from the README table",
            ]);
            const declared = { ...project, logLevel: { type: "string", default: "info" } };
            assert.deepStrictEqual(settingsTableProblems(rows, keys, declared), [
                "logLevel: declared in Pulumi.yaml, missing from the README table",
            ]);
            const stale = [...rows, { key: "influxdb.replicas", type: "integer", default: "1", platforms: "all" }];
            assert.deepStrictEqual(settingsTableProblems(stale, keys, project), [
                "influxdb.replicas: documented, but the program does not accept it",
            ]);
            const changed = { ...project, platform: { type: "string", default: "kubernetes" } };
            assert.strictEqual(settingsTableProblems(rows, keys, changed).length, 1);
            const narrowed = rows.map((r) => (r.key === "influxdb.org" ? { ...r, platforms: "docker" } : r));
            assert.strictEqual(settingsTableProblems(narrowed, keys, project).length, 1);
        });

        it("gives the defaults the code defines", function () {
            const literal = (key: string) => names(rows.find((r) => r.key === key)!.default)[0];
            assert.strictEqual(parseRetention(literal("retention.raw"), "raw"), DEFAULT_RETENTION.rawSeconds);
            assert.strictEqual(
                parseRetention(literal("retention.downsampled15m"), "15m"),
                DEFAULT_RETENTION.downsampled15mSeconds,
            );
            assert.strictEqual(
                parseRetention(literal("retention.downsampled1h"), "1h"),
                DEFAULT_RETENTION.downsampled1hSeconds,
            );
            assert.strictEqual(literal("influxdb.image"), DEFAULT_DOCKER_IMAGE);
            assert.strictEqual(literal("influxdb.port"), String(INFLUXDB_CONTAINER_PORT));
            assert.strictEqual(literal("influxdb.image.tag"), DEFAULT_INFLUXDB_TAG);
            assert.strictEqual(literal("influxdb.chartValuesFile"), path.relative(root, INFLUXDB2_CHART_KEYS_FILE));
            assert.strictEqual(literal("flagsmith.image"), DEFAULT_FLAGSMITH_IMAGE);
            assert.strictEqual(literal("flagsmith.apiPort"), String(DEFAULT_API_PORT));
        });
    });

    it("lists every stack output", async function () {
        const program = () => (require("../../index") as () => Promise<Record<string, unknown>>)();
        const run = await runProgram(program, { config: { platform: "kubernetes" }, mocks: programMocks() });
        const outputs = Object.keys(run.result);
        assert.ok(outputs.length >= 10);
        const paragraph = section("What `pulumi up` creates")
            .split("\n\n")
            .find((p) => p.startsWith("Stack outputs:"));
        assert.ok(paragraph, "a paragraph starting with 'Stack outputs:'");
        assert.deepStrictEqual(
            outputs.filter((o) => !names(paragraph).includes(o)),
            [],
        );
    });

    it("CI/CD names every variable and secret the workflows read, and no other", function () {
        const dir = path.join(root, ".github");
        const files = (d: string): string[] =>
            fs
                .readdirSync(d, { withFileTypes: true })
                .flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]));
        const used = new Set(
            files(dir).flatMap((f) =>
                [...fs.readFileSync(f, "utf8").matchAll(/\b(?:vars|secrets)\.(\w+)/g)].map((m) => m[1]),
            ),
        );
        used.delete("GITHUB_TOKEN");
        const documented = new Set(
            table(section("CI/CD (GitHub Actions)").split("Settings (")[1]).flatMap((r) => names(r.Name)),
        );
        assert.deepStrictEqual([...used].sort(), [...documented].sort());
    });

    it("keeps the two quick-start commands and the sections a newcomer needs", function () {
        const quick = section("Quick start");
        assert.ok(
            quick.includes(
                "\nnpm ci && mkdir -p ~/.pulumi-flagsmith-influxdb && pulumi stack select --create dev && pulumi up\n",
            ),
        );
        assert.ok(quick.includes("\nnpm ci && npm test\n"));
        // ... and how to take it all down again.
        assert.match(quick, /\npulumi destroy\npulumi stack rm dev\n/);
        for (const title of [
            "What `pulumi up` creates",
            "Stack settings",
            "Migrating from the manual setup (`adopt`)",
            "Checking a deployment (idempotency)",
            "CI/CD (GitHub Actions)",
            "Upgrading this program on an existing stack",
            "Troubleshooting",
            "Failure modes",
        ]) {
            section(title);
        }
        assert.match(
            section("Upgrading this program on an existing stack"),
            /\ngit pull && npm ci && pulumi preview\b/,
        );
        // The developer's manual is its own document, and each links to the other.
        section("Tests", development);
        assert.match(development, /\n### Running the provider suite against a real InfluxDB\n[\s\S]*INFLUXDB_TEST_URL/);
        assert.ok(readme.includes("(DEVELOPMENT.md"), "README.md links to DEVELOPMENT.md");
        assert.ok(development.includes("(README.md"), "DEVELOPMENT.md links to README.md");
        const check = section("Checking a deployment (idempotency)");
        for (const command of [
            "pulumi up",
            "pulumi preview --expect-no-changes",
            "pulumi refresh --expect-no-changes",
        ]) {
            assert.ok(check.includes(`\n${command}`), command);
        }
        const troubleshooting = section("Troubleshooting");
        for (const topic of ["Empty analytics screens", "401", "Tasks failing", "taskHealth"]) {
            assert.ok(troubleshooting.includes(topic), topic);
        }
        // taskHealth is a stack output: only a run of the program refreshes it, not a plain `pulumi refresh`.
        assert.ok(
            troubleshooting.includes("\npulumi refresh --run-program --yes && pulumi stack output taskHealth --json\n"),
            "the fresh view of taskHealth",
        );
    });

    it("reads in a 120-column terminal: no line of README.md or DEVELOPMENT.md is longer, code blocks included", function () {
        assert.deepStrictEqual(longLines(readme), [], "README.md");
        assert.deepStrictEqual(longLines(development), [], "DEVELOPMENT.md");
        // The check itself: a long line is found wherever it is, in a code block too.
        const fence = "`".repeat(3);
        assert.deepStrictEqual(longLines(`short\n${fence}sh\n${"x".repeat(MAX_LINE + 1)}\n${fence}`), [
            `line 3 (${MAX_LINE + 1} characters)`,
        ]);
        assert.deepStrictEqual(longLines(`${"é".repeat(MAX_LINE)}\n| ${"-".repeat(MAX_LINE - 2)} |`), [
            `line 2 (${MAX_LINE + 2} characters)`,
        ]);
    });

    it("has a diagram of the resources and of how the token and URLs reach Flagsmith", function () {
        const diagram = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
        assert.ok(diagram, "a mermaid block");
        assert.match(diagram, /^flowchart /);
        for (const word of [
            "Organization",
            "Bucket B",
            "Tasks",
            "Backfill",
            "Authorization",
            "INFLUXDB_URL",
            "INFLUXDB_TOKEN",
            "INFLUXDB_ORG",
            "INFLUXDB_BUCKET",
            "managementUrl",
            "internalUrl",
        ]) {
            assert.ok(diagram.includes(word), word);
        }
        // Every edge joins declared nodes.
        const nodes = new Set([...diagram.matchAll(/^\s*(?:subgraph )?(\w+)\[/gm)].map((m) => m[1]));
        const edges = [...diagram.matchAll(/^\s*(\w+) -->(?:\|[^|]*\|)? (\w+)$/gm)];
        assert.ok(edges.length > 10 && nodes.size > 10, `${edges.length} edges, ${nodes.size} nodes`);
        for (const [, from, to] of edges) {
            assert.ok(nodes.has(from) && nodes.has(to), `${from} --> ${to}`);
        }
    });
});
