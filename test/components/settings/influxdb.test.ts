// The InfluxDB settings (components/settings/influxdb.ts) under mocks: defaults, secrets only from secret config, and
// their validation. createInfluxDB, which builds the implementation they choose, is specified in ../influxdb.test.ts.
// Helpers shared with the InfluxDB components' specs: ../influxdb-helpers.ts.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { createInfluxDB } from "../../../components/influxdb";
import { DockerInfluxDB } from "../../../components/influxdb-docker";
import {
    InfluxSettingsError,
    influxSettingsFromConfig,
    parseInfluxSettings,
} from "../../../components/settings/influxdb";
import { runProgram } from "../../harness/mocks";
import { mocks, runConfig, envOf } from "../influxdb-helpers";

describe("InfluxDB settings (platform, influxdb)", () => {
    it("defaults the platform to docker and reads secrets only from secret config", async () => {
        const run = await runConfig({});
        assert.ok(run.result instanceof DockerInfluxDB);
        await assert.rejects(
            runConfig({
                config: {
                    platform: "external",
                    influxdb: { url: "http://i:8086", org: "o", bucket: "b", token: "plain" },
                },
            }),
            /influxdb\.token: secrets must not be in plain config; .*pulumi config set --secret influxdbToken/,
        );
    });

    it("applies defaults under the influxdb config object", async () => {
        const fromDefaults = await runProgram(
            () => createInfluxDB("influxdb", influxSettingsFromConfig(undefined, { bucket: "flagsmith_raw" })),
            { config: { platform: "docker" }, mocks: mocks() },
        );
        assert.strictEqual(envOf(fromDefaults).DOCKER_INFLUXDB_INIT_BUCKET, "flagsmith_raw");
        const overridden = await runProgram(
            () => createInfluxDB("influxdb", influxSettingsFromConfig(undefined, { bucket: "flagsmith_raw" })),
            { config: { platform: "docker", influxdb: { bucket: "own" } }, mocks: mocks() },
        );
        assert.strictEqual(envOf(overridden).DOCKER_INFLUXDB_INIT_BUCKET, "own");
    });

    it("parses valid settings, keeping secrets secret", async () => {
        const settings = parseInfluxSettings({
            platform: "docker",
            port: "8087",
            protectData: true,
            retention: "1h30m",
            adminToken: "plain-token",
        });
        assert.strictEqual(settings.platform, "docker");
        if (settings.platform !== "docker") {
            return;
        }
        assert.strictEqual(settings.port, 8087, "numbers from string config");
        assert.strictEqual(settings.protectData, true);
        assert.ok(pulumi.Output.isInstance(settings.adminToken));
        assert.strictEqual(await pulumi.isSecret(settings.adminToken as pulumi.Output<string>), true);
        assert.ok(!("bucket" in settings), "unset settings stay unset");
    });

    const invalid: [string, Record<string, unknown>, RegExp][] = [
        [
            "unknown platform",
            { platform: "podman" },
            /platform: unknown platform "podman"; use one of docker, kubernetes, external\. Fix: pulumi config set platform/,
        ],
        ["missing platform", {}, /unknown platform undefined/],
        [
            "port 0",
            { platform: "docker", port: 0 },
            /influxdb\.port: port must be an integer between 1 and 65535, got 0\. Fix: pulumi config set --path influxdb\.port/,
        ],
        [
            "port 70000",
            { platform: "docker", port: 70000 },
            /influxdb\.port: port must be an integer between 1 and 65535, got 70000/,
        ],
        ["port not a number", { platform: "docker", port: "http" }, /influxdb\.port: must be a number, got "http"/],
        ["empty org", { platform: "docker", org: " " }, /influxdb\.org: organization must be a non-empty string/],
        ["empty bucket", { platform: "kubernetes", bucket: "" }, /influxdb\.bucket: bucket must be a non-empty string/],
        [
            "retention below 1h",
            { platform: "docker", retention: "30m" },
            /influxdb\.retention: retention "30m" is below InfluxDB's minimum of 1h/,
        ],
        [
            "retention not a duration",
            { platform: "docker", retention: "a month" },
            /influxdb\.retention: "a month" is not a duration/,
        ],
        [
            "unknown key",
            { platform: "docker", prot: 1 },
            /influxdb\.prot: unknown setting for platform docker; known: .*port/,
        ],
        [
            "key of another platform",
            { platform: "docker", namespace: "x" },
            /influxdb\.namespace: unknown setting for platform docker/,
        ],
        [
            "bad wait timeout",
            { platform: "docker", waitTimeout: -5 },
            /influxdb\.waitTimeout: must be a positive whole number/,
        ],
        [
            "short password",
            { platform: "docker", adminPassword: "short" },
            /influxdb\.adminPassword: InfluxDB needs a password of at least 8 characters/,
        ],
        ["bad protectData", { platform: "docker", protectData: "yes" }, /influxdb\.protectData: must be true or false/],
        [
            "quoted protectData",
            { platform: "docker", protectData: "true" },
            /influxdb\.protectData: "true" is a quoted string, not a boolean; write it unquoted .* pulumi config set --path influxdb\.protectData true/,
        ],
        [
            "bindAddress not an IP",
            { platform: "docker", bindAddress: "docker.lan" },
            /influxdb\.bindAddress: "docker\.lan" is not an IP address.*Fix: pulumi config set --path influxdb\.bindAddress/,
        ],
        [
            "bad namespace",
            { platform: "kubernetes", namespace: "Influx_DB" },
            /influxdb\.namespace: "Influx_DB" must be a lower-case DNS label/,
        ],
        [
            "bad pull policy",
            { platform: "kubernetes", image: { pullPolicy: "Sometimes" } },
            /influxdb\.image\.pullPolicy: must be Always, IfNotPresent or Never/,
        ],
        [
            "unknown image key",
            { platform: "kubernetes", image: { imagePullPolicy: "Always" } },
            /influxdb\.image\.imagePullPolicy: unknown setting; known: repository, tag, pullPolicy, pullSecrets/,
        ],
        [
            "bad size",
            { platform: "kubernetes", persistence: { size: "20 gigs" } },
            /influxdb\.persistence\.size: "20 gigs" is not a Kubernetes quantity/,
        ],
        [
            "bad management URL",
            { platform: "kubernetes", managementUrl: "localhost:8086" },
            /influxdb\.managementUrl: "localhost:8086" is not an http\(s\) URL/,
        ],
        [
            "external without url",
            { platform: "external", org: "o", bucket: "b", token: "t" },
            /influxdb\.url: is required/,
        ],
        [
            "external bad url",
            { platform: "external", url: "influxdb:8086", org: "o", bucket: "b", token: "t" },
            /influxdb\.url: "influxdb:8086" is not an http\(s\) URL/,
        ],
    ];
    for (const [title, raw, message] of invalid) {
        it(`rejects ${title}, naming the setting and the fix`, () => {
            assert.throws(
                () => parseInfluxSettings(raw),
                (e: Error) => e instanceof InfluxSettingsError && message.test(e.message),
            );
        });
    }

    it("lists every problem at once", () => {
        assert.throws(
            () => parseInfluxSettings({ platform: "docker", port: 0, org: "", retention: "5m" }),
            (e: Error) =>
                e instanceof InfluxSettingsError &&
                e.problems.length === 3 &&
                ["influxdb.port:", "influxdb.org:", "influxdb.retention:"].every((k) =>
                    e.problems.some((p) => p.startsWith(k)),
                ),
        );
    });

    it("rejects invalid config when the program runs", async () => {
        await assert.rejects(
            runConfig({ config: { platform: "docker", influxdb: { port: 99999 } } }),
            /Invalid InfluxDB settings[\s\S]*influxdb\.port/,
        );
    });
});
