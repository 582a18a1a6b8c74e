// The list of settings the program accepts (stackSettingKeys, which README.md's settings table is checked against)
// is exactly what readStackSettings accepts: every listed key passes the unknown-key checks, for exactly the listed
// platforms, and an unlisted key is refused at every level. Plus the flagsmithDatabasePassword secret.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { INFLUX_PLATFORMS } from "../../../components/settings/influxdb";
import {
    ephemeralInfluxWarnings,
    plaintextSecretWarnings,
    readStackSettings,
    StackConfigError,
    stackSettingKeys,
} from "../../../components/settings/stack";
import { runProgram } from "../../harness/mocks";
import { programMocks, TYPES } from "../../harness/program-mocks";

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
        (require("../../../index") as () => Promise<Record<string, unknown>>)();
    const database = { host: "db.internal", database: "flagsmith", username: "flagsmith" };

    it("completes flagsmith.database on Kubernetes; the password reaches the chart only as a secret", async function () {
        const r = await runProgram(program, {
            config: { platform: "kubernetes", flagsmith: { database } },
            secretConfig: { flagsmithDatabasePassword: "db-password-7Hq" },
            mocks: programMocks(),
        });
        const release = r.byType(TYPES.release).find((x) => x.inputs.chart === "flagsmith")!;
        const values = release.inputs.values as { databaseExternal: { urlFromExistingSecret: { name: string } } };
        const secret = r
            .byType(TYPES.secret)
            .find(
                (s) =>
                    (s.inputs.metadata as { name: string }).name === values.databaseExternal.urlFromExistingSecret.name,
            )!;
        const url = new URL((secret.inputs.stringData as Record<string, string>).url);
        assert.deepStrictEqual([url.hostname, decodeURIComponent(url.password)], ["db.internal", "db-password-7Hq"]);
        assert.ok(secret.secretInputs.some((p) => p.startsWith("stringData")));
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

describe("stack settings: messages that say what is wrong and the fix", function () {
    this.timeout(60_000);
    const BOOLEAN = /(enabled|protectData|retainDataOnDelete|remove)$/;
    const booleans = stackSettingKeys().filter((k) => BOOLEAN.test(k.path));

    it("covers every boolean setting", function () {
        assert.ok(booleans.length >= 7, booleans.map((k) => k.path).join(", "));
    });

    for (const key of booleans) {
        const platform = key.platforms?.[0];
        it(`refuses a quoted "false" for ${key.path} with one message naming it and saying to write it unquoted`, async function () {
            const found = await problems(configWith(key.path, "false", platform));
            const name = key.path.startsWith("tasks.overrides.") ? `tasks.overrides["${TASK}"].remove` : key.path;
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.ok(
                found[0].includes(`${name}: "false" is a quoted string, not a boolean; write it unquoted`),
                found[0],
            );
            assert.match(found[0], /pulumi config set --path (\S+|'[^']+') false$/);
        });
    }

    it('refuses a quoted flagsmith.enabled "false" with one message also where Flagsmith would need a platform', async function () {
        const found = await problems(
            {
                platform: "external",
                influxdb: { url: "http://influx:8086", org: "o", bucket: "b" },
                flagsmith: { enabled: "false" },
            },
            { influxdbToken: "operator-token" },
        );
        assert.deepStrictEqual(found, [
            'flagsmith.enabled: "false" is a quoted string, not a boolean; write it unquoted in Pulumi.<stack>.yaml, ' +
                "or run: pulumi config set --path flagsmith.enabled false",
        ]);
    });

    it("explains a nested key set without --path, with the command that sets it", async function () {
        const cases: [Config, Config, string][] = [
            [
                { "influxdb.port": 8087 },
                {},
                "pulumi config rm influxdb.port && pulumi config set --path influxdb.port 8087",
            ],
            [{ "flagsmith.enabled": "false" }, {}, "pulumi config set --path flagsmith.enabled false"],
            [{ "retention.raw": "30d" }, {}, "pulumi config set --path retention.raw 30d"],
            // A secret's value is not repeated; a secret setting is set as the top-level secret it is.
            [{}, { "influxdb.port": "8087" }, "pulumi config set --path influxdb.port <value>"],
            [{ "influxdb.adminToken": "tok-1" }, {}, "pulumi config set --secret influxdbAdminToken <value>"],
        ];
        for (const [config, secretConfig, fix] of cases) {
            const found = await problems(config, secretConfig);
            const [name] = Object.keys({ ...config, ...secretConfig });
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.ok(
                found[0].startsWith(
                    `flagsmith-influxdb:${name}: a top-level key literally named "${name}", set without --path`,
                ),
                found[0],
            );
            assert.ok(found[0].endsWith(fix), `${found[0]}\nshould end with: ${fix}`);
            assert.ok(!found[0].includes("tok-1"));
        }
        // A dotted key under no object setting is just unknown.
        assert.match(
            (await problems({ "flagsmth.enabled": false }))[0],
            /flagsmith-influxdb:flagsmth\.enabled: unknown setting; known:/,
        );
    });

    it("says to remove a secret set for a platform that does not read it by its own key", async function () {
        const found = await problems({ platform: "kubernetes" }, { influxdbToken: "operator-token" });
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(
            found[0],
            /influxdb\.token: unknown setting for platform kubernetes \(set as the secret influxdbToken\);/,
        );
        assert.match(found[0], /Fix: pulumi config rm influxdbToken$/);
    });

    it("refuses influxdb.port equal to flagsmith.apiPort on Docker, naming both keys", async function () {
        for (const config of [
            { influxdb: { port: 8000 } },
            { flagsmith: { apiPort: 8086 } },
            { influxdb: { port: 9000 }, flagsmith: { apiPort: 9000 } },
        ]) {
            const found = await problems(config);
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(
                found[0],
                /^influxdb\.port and flagsmith\.apiPort: both are (\d+),.*Fix: pulumi config set --path flagsmith\.apiPort \d+$/,
            );
        }
        // Not on Docker, or without Flagsmith on Docker, nothing is published twice.
        assert.deepStrictEqual(await problems({ influxdb: { port: 8000 }, flagsmith: { enabled: false } }), []);
        assert.deepStrictEqual(await problems({ platform: "kubernetes" }), []);
        assert.deepStrictEqual(await problems({}), []);
    });

    it("names flagsmith.image (not the component) for an unpinned image, with a pinned one to use", async function () {
        for (const image of ["flagsmith/flagsmith:latest", "flagsmith/flagsmith"]) {
            const found = await problems({ flagsmith: { image } });
            assert.deepStrictEqual(found, [
                `flagsmith.image: "${image}" must be pinned to a version tag (not "latest") or a digest. ` +
                    "Fix: pulumi config set --path flagsmith.image flagsmith/flagsmith:2.227.0",
            ]);
        }
        assert.deepStrictEqual(await problems({ flagsmith: { image: "flagsmith/flagsmith:2.228.0" } }), []);
    });

    it("accepts Flagsmith on Docker beside an external InfluxDB the containers can reach", async function () {
        const external = { platform: "external", influxdb: { url: "http://influx:8086", org: "o", bucket: "b" } };
        const token = { influxdbToken: "operator-token" };
        assert.deepStrictEqual(await problems({ ...external, flagsmith: { platform: "docker" } }, token), []);
        const loopback = { ...external, influxdb: { ...external.influxdb, url: "http://localhost:8086" } };
        const found = await problems({ ...loopback, flagsmith: { platform: "docker" } }, token);
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /^influxdb\.url: "http:\/\/localhost:8086" is what Flagsmith's containers get/);
        assert.match(found[0], /influxdb\.managementUrl/);
    });

    it("refuses Flagsmith on Docker beside a Kubernetes InfluxDB, and asks where it runs beside an external one", async function () {
        const external = { platform: "external", influxdb: { url: "http://influx:8086", org: "o", bucket: "b" } };
        for (const config of [external, { platform: "kubernetes", flagsmith: { platform: "docker" } }]) {
            const found = await problems(
                config,
                config.platform === "external" ? { influxdbToken: "operator-token" } : {},
            );
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(found[0], /^flagsmith\.platform: /);
            assert.match(found[0], /pulumi config set --path flagsmith\.platform kubernetes/);
            assert.match(
                found[0],
                /pulumi config set --path flagsmith\.enabled false, then pulumi stack output flagsmithEnv/,
            );
        }
    });

    it("accepts flagsmith.bindAddress and flagsmith.extraEnv on Docker only, refusing what the program wires", async function () {
        const ok = await problems({ flagsmith: { bindAddress: "0.0.0.0", extraEnv: { PREVENT_SIGNUP: "true" } } });
        assert.deepStrictEqual(ok, []);
        const wired = await problems({ flagsmith: { extraEnv: { INFLUXDB_TOKEN: "x", DATABASE_URL: "y", OK: "z" } } });
        assert.deepStrictEqual(
            wired.map((p) => p.split(":")[0]),
            ["flagsmith.extraEnv.INFLUXDB_TOKEN", "flagsmith.extraEnv.DATABASE_URL"],
        );
        for (const p of wired) {
            assert.match(
                p,
                /must not set (INFLUXDB_TOKEN|DATABASE_URL).*pulumi config rm --path flagsmith\.extraEnv\.\1$/,
            );
        }
        assert.match(
            (await problems({ flagsmith: { extraEnv: { DJANGO_ALLOWED_HOSTS: "x" } } }))[0],
            /flagsmith\.extraEnv\.DJANGO_ALLOWED_HOSTS: .*set flagsmith\.allowedHosts instead/,
        );
        assert.match(
            (await problems({ flagsmith: { extraEnv: { A: { b: 1 } } } }))[0],
            /flagsmith\.extraEnv\.A: must be a string/,
        );
        assert.match((await problems({ flagsmith: { extraEnv: "A=b" } }))[0], /flagsmith\.extraEnv: must be an object/);
        assert.deepStrictEqual(await problems({ flagsmith: { bindAddress: "localhost" } }), [
            'flagsmith.bindAddress: "localhost" is not an IP address; use 127.0.0.1 (this machine only), 0.0.0.0 ' +
                "(every interface) or the address of one interface. Fix: pulumi config set --path flagsmith.bindAddress 127.0.0.1",
        ]);
        for (const key of ["bindAddress", "extraEnv"]) {
            const found = await problems({
                platform: "kubernetes",
                flagsmith: { [key]: key === "extraEnv" ? {} : "0.0.0.0" },
            });
            assert.match(found.join("\n"), new RegExp(`flagsmith\\.${key}: only used when Flagsmith runs on docker`));
        }
    });
});

describe("stack settings: secrets stored in plain text", function () {
    this.timeout(60_000);
    const SECRET = "plain-value-4Zq";

    /** The warnings readStackSettings returns, and those the program logs, for a Docker stack. */
    async function warnings(config: Config, secretConfig: Config): Promise<{ settings: string[]; logged: string[] }> {
        const logged: string[] = [];
        const log = pulumi.log as unknown as { warn: (msg: string) => Promise<void> };
        const original = log.warn;
        log.warn = async (msg: string) => void logged.push(msg);
        try {
            const run = await runProgram(
                async () => {
                    const settings = readStackSettings().warnings;
                    await (require("../../../index") as () => Promise<unknown>)();
                    return settings;
                },
                { config, secretConfig, mocks: programMocks() },
            );
            return { settings: [...run.result], logged };
        } finally {
            log.warn = original;
        }
    }

    it("warns for a secret set without --secret, saying where it is and how to encrypt it, without the value", async function () {
        const { settings, logged } = await warnings({ influxdbAdminPassword: SECRET }, {});
        const expected =
            "influxdbAdminPassword is stored in plain text in Pulumi.test.yaml (it was set without --secret); encrypt " +
            'it: pulumi config set --secret influxdbAdminPassword "$(pulumi config get influxdbAdminPassword)", and ' +
            "rotate it if that file was shared";
        assert.deepStrictEqual(settings, [expected]);
        assert.deepStrictEqual(
            logged.filter((m) => m.includes("plain text")),
            [expected],
        );
        assert.ok(!logged.some((m) => m.includes(SECRET)));
    });

    it("does not warn for the same secret set with --secret", async function () {
        const { settings, logged } = await warnings({}, { influxdbAdminPassword: SECRET, influxdbAdminToken: SECRET });
        assert.deepStrictEqual(settings, []);
        assert.deepStrictEqual(
            logged.filter((m) => m.includes("plain text")),
            [],
        );
    });

    it("checks every secret setting: influxdbToken, influxdbAdminToken, influxdbAdminPassword, flagsmithDatabasePassword", function () {
        const keys = stackSettingKeys()
            .filter((k) => k.secret)
            .map((k) => k.path);
        assert.deepStrictEqual([...keys].sort(), [
            "flagsmithDatabasePassword",
            "influxdbAdminPassword",
            "influxdbAdminToken",
            "influxdbToken",
        ]);
        const all = keys.map((k) => `flagsmith-influxdb:${k}`);
        const plain = plaintextSecretWarnings(all, () => false, "prod");
        assert.deepStrictEqual(plain.map((w) => w.split(" ")[0]).sort(), [...keys].sort());
        for (const [i, key] of keys.entries()) {
            assert.ok(plain.find((w) => w.startsWith(`${key} `))!.includes(`Pulumi.prod.yaml`), plain[i]);
            assert.ok(plain.find((w) => w.startsWith(`${key} `))!.includes(`pulumi config set --secret ${key} `));
        }
        assert.deepStrictEqual(
            plaintextSecretWarnings(all, () => true, "prod"),
            [],
        );
        // Only keys that are set.
        assert.deepStrictEqual(
            plaintextSecretWarnings(["flagsmith-influxdb:bucket"], () => false, "prod"),
            [],
        );
    });
});

describe("stack settings: an InfluxDB without persistence", function () {
    it("warns on Kubernetes that a pod restart empties the server, and what the next up does", function () {
        const [warning] = ephemeralInfluxWarnings({ platform: "kubernetes", persistence: { enabled: false } });
        assert.match(
            warning,
            /^influxdb\.persistence\.enabled is false: each restart of the InfluxDB pod starts an empty/,
        );
        assert.match(warning, /the next `pulumi up` notices the new server and recreates them/);
        assert.deepStrictEqual(ephemeralInfluxWarnings({ platform: "kubernetes" }), []);
        assert.deepStrictEqual(ephemeralInfluxWarnings({ platform: "kubernetes", persistence: { enabled: true } }), []);
    });
});

describe("stack settings: one list of problems, read one way", function () {
    this.timeout(60_000);

    it("lists the InfluxDB settings' problems one by one beside the others, each with its fix, and no header among them", async function () {
        const found = await problems({
            influxdb: { port: 99999, org: "" },
            retention: { raw: "5m" },
            flagsmith: { apiPort: 0 },
        });
        assert.deepStrictEqual(found, [
            'influxdb.org: organization must be a non-empty string, got "". ' +
                "Fix: pulumi config set --path influxdb.org <value>",
            "influxdb.port: port must be an integer between 1 and 65535, got 99999. " +
                "Fix: pulumi config set --path influxdb.port <number>",
            `retention.raw: retention "5m" is below InfluxDB's minimum of 1h; use 1h or more, or 0s. ` +
                "Fix: pulumi config set --path retention.raw 14d",
            "flagsmith.apiPort: port must be an integer between 1 and 65535, got 0. " +
                "Fix: pulumi config set --path flagsmith.apiPort <number>",
        ]);
    });

    it("reads flagsmith.apiPort as it reads influxdb.port: a string of digits is the port number", async function () {
        const run = await runProgram(() => readStackSettings(), {
            config: { influxdb: { port: "8087" }, flagsmith: { apiPort: "8001", protectData: true } },
        });
        assert.strictEqual(run.result.flagsmith.apiPort, 8001);
        assert.strictEqual(run.result.flagsmith.protectData, true);
        assert.strictEqual(run.result.influx.platform === "docker" && run.result.influx.port, 8087);
    });
});
