// The list of settings the program accepts (stackSettingKeys, which README.md's settings table is checked against)
// is exactly what readStackSettings accepts: every listed key passes the unknown-key checks, for exactly the listed
// platforms, and an unlisted key is refused at every level. Plus the flagsmithDatabasePassword secret.
import * as assert from "assert";
import { readStackSettings, StackConfigError, stackSettingKeys } from "../components/stack-config";
import { INFLUX_PLATFORMS } from "../components/influxdb";
import { runProgram } from "./harness/mocks";
import { programMocks, TYPES } from "./harness/program-mocks";

type Config = Record<string, unknown>;
const TASK = "Downsample API 1h";
/** How readStackSettings words an unknown key, at each level. */
const UNKNOWN_KEY = /unknown setting|: unknown;|allowed keys are|must be \{ enabled/;

async function problems(config: Config, secretConfig: Config = {}): Promise<string[]> {
    const run = await runProgram(
        () => {
            try {
                readStackSettings();
                return [];
            } catch (e) {
                return e instanceof StackConfigError ? [...e.problems] : [(e as Error).message];
            }
        },
        { config, secretConfig },
    );
    return run.result;
}

/** Stack config setting the dotted `path` (top-level key first) to `value`. */
function configWith(path: string, value: unknown, platform?: string): Config {
    const segments = path.replace("<task name>", TASK).split(/\.(?![^<]*>)/);
    if (path.startsWith("tasks.overrides.")) {
        segments.splice(2, segments.length - 3, TASK);
    }
    const config: Config = platform ? { platform } : {};
    let node = config;
    segments.forEach((segment, i) => {
        node = (node[segment] ??= i === segments.length - 1 ? value : {}) as Config;
    });
    return config;
}

const valueFor = (path: string): unknown =>
    path.endsWith(".platform")
        ? "kubernetes"
        : /(enabled|protectData|retainDataOnDelete|remove)$/.test(path)
          ? true
          : /(port|apiPort|waitTimeout|timeout)$/i.test(path)
            ? 1234
            : "1h";

describe("stack settings: the documented key list is what the program accepts", function () {
    this.timeout(60_000);
    const keys = stackSettingKeys();

    it("lists every level: top-level, secrets, retention, tasks, backfill, flagsmith and influxdb per platform", function () {
        const paths = keys.map((k) => k.path);
        for (const expected of [
            "platform",
            "bucket",
            "adopt",
            "retention.raw",
            "tasks.overrides.<task name>.every",
            "tasks.extra",
            "backfill.range",
            "flagsmith.apiPort",
            "influxdb.port",
            "influxdb.image.tag",
            "influxdb.tokenFromExistingSecret.key",
            "influxdbToken",
            "flagsmithDatabasePassword",
        ]) {
            assert.ok(paths.includes(expected), expected);
        }
        assert.strictEqual(new Set(paths).size, paths.length, "no duplicates");
        // Secrets are top-level keys only, never inside the influxdb object.
        assert.ok(!paths.some((p) => /^influxdb\.(token|adminToken|adminPassword)$/.test(p)));
    });

    for (const key of stackSettingKeys()) {
        const platforms = key.platforms ?? [undefined];
        it(`accepts ${key.path}${key.platforms ? ` on ${key.platforms.join(", ")} only` : ""}`, async function () {
            for (const platform of platforms) {
                const found = key.secret
                    ? await problems(platform ? { platform } : {}, { [key.path]: "a-secret-value" })
                    : await problems(configWith(key.path, valueFor(key.path), platform));
                assert.deepStrictEqual(
                    found.filter((p) => UNKNOWN_KEY.test(p)),
                    [],
                    `${key.path} on ${platform ?? "docker"}`,
                );
            }
            for (const other of INFLUX_PLATFORMS.filter((p) => key.platforms && !key.platforms.includes(p))) {
                const found = key.secret
                    ? await problems({ platform: other }, { [key.path]: "a-secret-value" })
                    : await problems(configWith(key.path, valueFor(key.path), other));
                // Unknown on that platform, or of another type there (influxdb.image: a string on Docker).
                const setting = key.secret
                    ? /influxdb\.\w+: unknown setting/
                    : key.path.split(".").slice(0, 2).join(".");
                assert.ok(
                    found.some((p) => (typeof setting === "string" ? p.includes(`${setting}:`) : setting.test(p))),
                    `${key.path} is refused on ${other}: ${found.join("; ")}`,
                );
            }
        });
    }

    const unlisted: [string, string?][] = [
        ["nonsense"],
        ["retention.nonsense"],
        ["tasks.nonsense"],
        [`tasks.overrides.<task name>.nonsense`],
        ["backfill.nonsense"],
        ["flagsmith.nonsense"],
        ["influxdb.nonsense", "docker"],
        ["influxdb.nonsense", "kubernetes"],
        ["influxdb.nonsense", "external"],
        ["influxdb.image.nonsense", "kubernetes"],
        ["influxdb.persistence.nonsense", "kubernetes"],
        ["influxdb.tokenFromExistingSecret.nonsense", "external"],
    ];
    for (const [path, platform] of unlisted) {
        it(`refuses the unlisted ${path}${platform ? ` on ${platform}` : ""}`, async function () {
            assert.ok(!keys.some((k) => k.path === path));
            const found = await problems(configWith(path, "x", platform));
            assert.ok(
                found.some((p) => UNKNOWN_KEY.test(p)),
                found.join("; "),
            );
        });
    }
});

describe("stack settings: flagsmithDatabasePassword", function () {
    this.timeout(60_000);
    const program = (): Promise<Record<string, unknown>> =>
        (require("../index") as () => Promise<Record<string, unknown>>)();
    const database = { host: "db.internal", database: "flagsmith", username: "flagsmith" };

    it("completes flagsmith.database on Kubernetes; the password reaches the chart only as a secret", async function () {
        const r = await runProgram(program, {
            config: { platform: "kubernetes", flagsmith: { database } },
            secretConfig: { flagsmithDatabasePassword: "db-password-7Hq" },
            mocks: programMocks(),
        });
        const release = r.byType(TYPES.release).find((x) => x.inputs.chart === "flagsmith")!;
        const values = release.inputs.values as { databaseExternal: Record<string, unknown> };
        assert.strictEqual(values.databaseExternal.password, "db-password-7Hq");
        assert.strictEqual(values.databaseExternal.host, "db.internal");
        assert.ok(release.secretInputs.some((p) => p.startsWith("values")));
        assert.deepStrictEqual(r.plaintextOccurrences("db-password-7Hq"), []);
    });

    const refused: [string, Config][] = [
        ["without flagsmith.database", { platform: "kubernetes" }],
        ["with flagsmith.database.url", { platform: "kubernetes", flagsmith: { database: { url: "postgres://x" } } }],
        [
            "with flagsmith.database.password too",
            { platform: "kubernetes", flagsmith: { database: { ...database, password: "plain" } } },
        ],
        ["for Flagsmith on Docker", { platform: "docker", flagsmith: { database } }],
    ];
    for (const [label, config] of refused) {
        it(`is refused ${label}`, async function () {
            const found = await problems(config, { flagsmithDatabasePassword: "db-password-7Hq" });
            assert.ok(
                found.some((p) => p.startsWith("flagsmithDatabasePassword:")),
                found.join("; "),
            );
        });
    }
});
