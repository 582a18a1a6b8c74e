// One table per validation rule of components/settings/validators.ts: the values each rule accepts and refuses, and
// what its message says. The settings and components that use a rule are tested for the wiring (which key, which
// fix), not for the rule's values again. A validator without a table here fails the first test.
import * as assert from "assert";
import * as validators from "../../../components/settings/validators";
import {
    booleanSettingProblem,
    checkBindAddress,
    checkDnsLabel,
    checkHttpUrl,
    checkInflux2Image,
    checkInflux2Tag,
    checkNonEmpty,
    checkPort,
    checkQuantity,
    isDnsLabel,
    isPort,
    parseRetention,
    shellWord,
    yamlTextProblem,
} from "../../../components/settings/validators";

/** A rule's table: values it accepts, and values it refuses with a message matching the pattern. */
interface RuleTable<T> {
    readonly accepts: readonly T[];
    readonly refuses: readonly (readonly [T, RegExp])[];
}

/** Runs a throwing check over its table; every refusal must also name the setting it was given. */
function describeCheck<T>(name: string, check: (value: T, setting: string) => unknown, table: RuleTable<T>): void {
    describe(name, () => {
        for (const value of table.accepts) {
            it(`accepts ${JSON.stringify(value)}`, () => {
                assert.doesNotThrow(() => check(value, "some.setting"));
            });
        }
        for (const [value, message] of table.refuses) {
            it(`refuses ${JSON.stringify(value)}: ${message.source}`, () => {
                assert.throws(
                    () => check(value, "some.setting"),
                    (e: Error) => e.message.startsWith("some.setting") && message.test(e.message),
                );
            });
        }
    });
}

/** Runs a predicate or problem function (undefined/true = accepted) over its table. */
function describeProblem<T>(name: string, problem: (value: T) => string | undefined, table: RuleTable<T>): void {
    describe(name, () => {
        for (const value of table.accepts) {
            it(`accepts ${JSON.stringify(value)}`, () => assert.strictEqual(problem(value), undefined));
        }
        for (const [value, message] of table.refuses) {
            it(`refuses ${JSON.stringify(value)}: ${message.source}`, () =>
                assert.match(problem(value) ?? "", message));
        }
    });
}

const TABLED = new Set<string>();
const tabled = (name: string) => TABLED.add(name) && name;

describe("validators: one table per rule", () => {
    it("every exported rule has its table here", () => {
        const rules = Object.entries(validators)
            .filter(([, v]) => typeof v === "function")
            .map(([k]) => k)
            // `validated` applies a rule to an Input; it is not a rule.
            .filter((k) => k !== "validated");
        assert.deepStrictEqual(rules.filter((k) => !TABLED.has(k)).sort(), []);
    });

    describeCheck(tabled("checkInflux2Tag"), checkInflux2Tag, {
        accepts: ["2", "2.7", "2.7.12", "2.7.12-alpine", "2.0.4"],
        refuses: [
            ["latest", /"latest" is InfluxDB 3, not 2\.x.*Pin a 2\.x tag, e\.g\. 2\.7\.12/],
            ["", /"\(no tag\)" is InfluxDB 3/],
            ["1.8", /"1\.8" is not an InfluxDB 2\.x tag/],
            ["3.0", /not an InfluxDB 2\.x tag/],
            ["27", /not an InfluxDB 2\.x tag/],
        ],
    });

    describeCheck(tabled("checkInflux2Image"), checkInflux2Image, {
        accepts: ["influxdb:2.7.12", "registry.local:5000/influxdb:2.7", "influxdb:2.7.12@sha256:abc"],
        refuses: [
            ["influxdb", /has no tag, which means latest = InfluxDB 3.*influxdb:2\.7\.12/],
            ["registry.local:5000/influxdb", /has no tag/],
            ["influxdb:latest", /is InfluxDB 3/],
            ["influxdb:1.8", /not an InfluxDB 2\.x tag/],
        ],
    });

    describe(tabled("parseRetention"), () => {
        const seconds: [string, number][] = [
            ["0", 0],
            ["0s", 0],
            ["infinite", 0],
            ["1h", 3600],
            ["60m", 3600],
            ["1h30m", 5400],
            ["30d", 30 * 86400],
            [" 30d ", 30 * 86400],
            ["2w", 14 * 86400],
        ];
        for (const [value, expected] of seconds) {
            it(`reads ${JSON.stringify(value)} as ${expected} s`, () => {
                assert.strictEqual(parseRetention(value, "some.setting"), expected);
            });
        }
        describeCheck("refusals", parseRetention, {
            accepts: [],
            refuses: [
                ["59m", /retention "59m" is below InfluxDB's minimum of 1h; use 1h or more, or 0s/],
                ["1s", /below InfluxDB's minimum of 1h/],
                ["1x", /"1x" is not a duration; use e\.g\. 30d/],
                ["30", /not a duration/],
                ["1mo", /not a duration/],
                ["", /not a duration/],
            ],
        });
    });

    describe(tabled("isPort"), () => {
        for (const port of [1, 80, 8086, 65535]) {
            it(`accepts ${port}`, () => assert.ok(isPort(port)));
        }
        for (const port of [0, -1, 65536, 80.5, NaN, "8086", undefined]) {
            it(`refuses ${JSON.stringify(port)}`, () => assert.ok(!isPort(port)));
        }
    });

    describeCheck(tabled("checkPort"), checkPort, {
        accepts: [1, 8086, 65535],
        refuses: [
            [0, /port must be an integer between 1 and 65535, got 0\./],
            [65536, /got 65536/],
            [1.5, /got 1\.5/],
        ],
    });

    describeCheck(tabled("checkBindAddress"), checkBindAddress, {
        accepts: ["127.0.0.1", "0.0.0.0", "::1", "::", "192.168.1.10"],
        refuses: [
            ["localhost", /"localhost" is not an IP address; use 127\.0\.0\.1 \(this machine only\), 0\.0\.0\.0/],
            ["", /is not an IP address/],
            ["256.0.0.1", /is not an IP address/],
        ],
    });

    describeProblem(tabled("booleanSettingProblem"), (v: unknown) => booleanSettingProblem(v, "a.b"), {
        accepts: [undefined, true, false],
        refuses: [
            ["false", /^a\.b: "false" is a quoted string, not a boolean; write it unquoted.*set --path a\.b false$/],
            ["true", /quoted string.*set --path a\.b true$/],
            ["yes", /^a\.b: must be true or false, got "yes"\. Fix: pulumi config set --path a\.b true$/],
            [1, /must be true or false, got 1\./],
        ],
    });

    describe(tabled("shellWord"), () => {
        const cases: [string, string][] = [
            ["influxdb.port", "influxdb.port"],
            ["a_b-c.d", "a_b-c.d"],
            ['tasks.overrides["Downsample API 1h"]', `'tasks.overrides["Downsample API 1h"]'`],
            ["it's", `'it'\\''s'`],
        ];
        for (const [word, quoted] of cases) {
            it(`quotes ${JSON.stringify(word)} as ${quoted}`, () => assert.strictEqual(shellWord(word), quoted));
        }
    });

    describeCheck<unknown>(tabled("checkNonEmpty"), (v, s) => checkNonEmpty(v, s, "organization"), {
        accepts: ["flagsmith", " a "],
        refuses: [
            ["", /organization must be a non-empty string, got ""\./],
            ["   ", /non-empty string/],
            [undefined, /got undefined/],
            [3, /got 3/],
        ],
    });

    describeCheck(tabled("checkHttpUrl"), checkHttpUrl, {
        accepts: ["http://influxdb:8086", "https://eu-central-1-1.aws.cloud2.influxdata.com", "http://[::1]:8086/"],
        refuses: [
            [
                "influxdb:8086",
                /"influxdb:8086" is not an http\(s\) URL; use e\.g\. http:\/\/influxdb\.example\.com:8086/,
            ],
            ["ftp://influxdb", /not an http\(s\) URL/],
            ["", /not an http\(s\) URL/],
        ],
    });

    describeProblem(tabled("yamlTextProblem"), yamlTextProblem, {
        accepts: ["flagsmith", "flagsmith-2024", "my org", "a:b"],
        refuses: [
            ["2024", /"2024" reaches the Helm chart's environment unquoted and Kubernetes would read it as a number/],
            ["yes", /as a boolean/],
            ["null", /as null/],
            ["{a: b}", /as a map/],
            ["a: b", /as invalid YAML/],
            ["[a]", /as a list/],
            ["a #b", /letters first, no ': ' or ' #'/],
        ],
    });

    describe(tabled("isDnsLabel"), () => {
        for (const [value, max, ok] of [
            ["flagsmith", 63, true],
            ["a", 63, true],
            ["flagsmith-2", 63, true],
            ["x".repeat(63), 63, true],
            ["x".repeat(54), 53, false],
            ["Flagsmith", 63, false],
            ["-a", 63, false],
            ["a-", 63, false],
            ["a_b", 63, false],
            ["", 63, false],
        ] as const) {
            it(`${ok ? "accepts" : "refuses"} ${JSON.stringify(value)} (max ${max})`, () => {
                assert.strictEqual(isDnsLabel(value, max), ok);
            });
        }
    });

    describeCheck(tabled("checkDnsLabel"), (v: string, s) => checkDnsLabel(v, s, 53), {
        accepts: ["flagsmith-influxdb"],
        refuses: [
            ["Flagsmith", /"Flagsmith" must be a lower-case DNS label \(a-z, 0-9, -\) of at most 53 characters\./],
            ["x".repeat(54), /at most 53 characters/],
        ],
    });

    describeCheck(tabled("checkQuantity"), checkQuantity, {
        accepts: ["10Gi", "500Mi", "1", "1.5Gi", "2G", "100k"],
        refuses: [
            ["10GB", /"10GB" is not a Kubernetes quantity such as 10Gi\./],
            ["ten", /not a Kubernetes quantity/],
            ["-1Gi", /not a Kubernetes quantity/],
        ],
    });
});
