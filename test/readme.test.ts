// README.md cannot drift from the code: the stack settings table against Pulumi.yaml and the keys the program accepts
// (stackSettingKeys, built from the validation's own lists), with the defaults the code defines; the stack outputs;
// the workflow settings of the CI/CD section; the quick-start commands and the sections a newcomer needs.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { DEFAULT_RETENTION } from "../components/analytics";
import { DEFAULT_INFLUXDB_TAG, parseRetention } from "../components/connection";
import { DEFAULT_API_PORT, DEFAULT_FLAGSMITH_IMAGE } from "../components/flagsmith-docker";
import { INFLUX_PLATFORMS } from "../components/influxdb";
import { DEFAULT_DOCKER_IMAGE, INFLUXDB_CONTAINER_PORT } from "../components/influxdb-docker";
import { INFLUXDB2_CHART_KEYS_FILE } from "../components/influxdb-kubernetes";
import { StackSettingKey, stackSettingKeys } from "../components/stack-config";
import { runProgram } from "./harness/mocks";
import { programMocks } from "./harness/program-mocks";

const root = path.join(__dirname, "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const TYPES = ["string", "boolean", "integer", "duration", "list", "object", "secret"];

/** The text of a `## ` section, up to the next `## `. */
function section(title: string): string {
    const start = readme.indexOf(`\n## ${title}\n`);
    assert.ok(start >= 0, `README section "## ${title}"`);
    const end = readme.indexOf("\n## ", start + 1);
    return readme.slice(start, end < 0 ? undefined : end);
}

/** The first Markdown table of `text`: one record per row, keyed by the header cells. */
function table(text: string): Record<string, string>[] {
    const lines = text.split("\n").filter((l) => l.startsWith("|"));
    const cells = (line: string) =>
        line
            .slice(1, -1)
            .split(/(?<!\\)\|/)
            .map((c) => c.trim());
    const [header, , ...rows] = lines.map(cells);
    return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
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

const settingsRows = (): Row[] =>
    table(section("Stack settings")).map((r) => ({
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
        const program = () => (require("../index") as () => Promise<Record<string, unknown>>)();
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
        assert.ok(quick.includes("\nnpm ci && pulumi stack select --create dev && pulumi up\n"));
        assert.ok(quick.includes("\nnpm ci && npm test\n"));
        for (const title of [
            "What `pulumi up` creates",
            "Stack settings",
            "Migrating from the manual setup (`adopt`)",
            "Checking a deployment (idempotency)",
            "CI/CD (GitHub Actions)",
            "Troubleshooting",
            "Failure modes",
            "Tests",
        ]) {
            section(title);
        }
        assert.match(readme, /\n### Running the provider suite against a real InfluxDB\n[\s\S]*INFLUXDB_TEST_URL/);
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
