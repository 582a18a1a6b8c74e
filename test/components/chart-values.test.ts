// The committed key trees (components/chart-keys) against the charts' values.yaml files they are derived from, which
// live in ../shared/reference (workplace and CI only; without them those tests skip, see harness/reference-data.ts):
// a committed file cannot drift from its chart, validation reads it like the values file, and the serialization
// round-trips. Then the validation of the chart values the InfluxDB components take, against the committed influxdb2
// key tree (it needs no reference data).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    ChartKeyNode,
    chartKeysFile,
    chartValueKeys,
    findUnknownChartKeys,
    loadChartKeys,
    parseChartKeys,
    serializeChartKeys,
    validateChartValues,
} from "../../components/chart-values";
import { FLAGSMITH_CHART, FLAGSMITH_CHART_KEYS_FILE } from "../../components/flagsmith-kubernetes";
import { INFLUXDB2_CHART, INFLUXDB2_CHART_KEYS_FILE } from "../../components/influxdb-kubernetes";
import { describeWithReference } from "../harness/reference-data";
import { CHART_KEY_SOURCES, deriveChartKeys } from "../tools/chart-keys";
import { VALUES_FILE } from "./influxdb-helpers";

/** An unknown key at the top level and one below a closed map, for each chart. */
const TYPOS: Record<string, { values: Record<string, unknown>; named: string[] }> = {
    influxdb2: {
        values: { persistence: { sise: "1Gi" }, nodeSelectors: {} },
        named: [
            '"persistence.sise" (did you mean "persistence.size"?)',
            '"nodeSelectors" (did you mean "nodeSelector"?)',
        ],
    },
    flagsmith: {
        values: { api: { replicaCont: 2 }, frontendd: {} },
        named: ['"api.replicaCont" (did you mean "api.replicacount"?)', '"frontendd" (did you mean "frontend"?)'],
    },
};

describe("committed chart key trees", () => {
    it("are the ones the Kubernetes components default to", () => {
        assert.deepStrictEqual(
            CHART_KEY_SOURCES.map((s) => [s.chart, s.version, s.keysFile]),
            [
                [INFLUXDB2_CHART.chart, INFLUXDB2_CHART.version, INFLUXDB2_CHART_KEYS_FILE],
                [FLAGSMITH_CHART.name, FLAGSMITH_CHART.version, FLAGSMITH_CHART_KEYS_FILE],
            ],
        );
        assert.strictEqual(
            INFLUXDB2_CHART_KEYS_FILE,
            path.resolve(__dirname, "..", "..", "components", "chart-keys", "influxdb2-2.1.2.json"),
        );
        assert.strictEqual(
            FLAGSMITH_CHART_KEYS_FILE,
            path.resolve(__dirname, "..", "..", "components", "chart-keys", "flagsmith-0.81.0.json"),
        );
    });

    for (const src of CHART_KEY_SOURCES) {
        describeWithReference(`${src.chart} ${src.version}`, [src.valuesFile], () => {
            let yamlText = "";
            let committed = "";
            before(() => {
                yamlText = fs.readFileSync(src.valuesFile, "utf8");
                committed = fs.readFileSync(src.keysFile, "utf8");
            });

            it("is what the values.yaml gives now (run `npm run chart-keys` after changing the reader)", () => {
                assert.strictEqual(committed, serializeChartKeys(chartValueKeys(yamlText)));
                assert.strictEqual(committed, deriveChartKeys(src));
            });

            it("loads to the same tree as the values.yaml, and round-trips", () => {
                const fromJson = loadChartKeys(src.keysFile);
                const fromYaml = loadChartKeys(src.valuesFile);
                assert.deepStrictEqual(fromJson, fromYaml);
                assert.deepStrictEqual(parseChartKeys(committed), fromYaml);
                assert.deepStrictEqual(keyOrder(fromJson), keyOrder(fromYaml), "same keys, same order");
                assert.strictEqual(serializeChartKeys(fromJson), committed);
            });

            it("rejects an unknown key, naming it, through the key tree and through the values.yaml", () => {
                const typo = TYPOS[src.chart];
                for (const file of [src.keysFile, src.valuesFile]) {
                    assert.throws(
                        () => validateChartValues(typo.values, file),
                        (e: Error) => {
                            for (const named of typo.named) {
                                assert.ok(e.message.includes(named), `${file}: ${named} in ${e.message}`);
                            }
                            assert.ok(e.message.includes(`not defined in ${file}`), e.message);
                            return true;
                        },
                    );
                }
            });
        });
    }

    describeWithReference("the influxdb2 chart's values file", [CHART_KEY_SOURCES[0].valuesFile], () => {
        it("validates the same way from the JSON as from the yaml", () => {
            const src = CHART_KEY_SOURCES[0];
            const ok = {
                image: { tag: "2.7.12", pullSecrets: ["x"] },
                persistence: { storageClass: "fast" }, // commented-out key
                resources: { limits: { "nvidia.com/gpu": 1 } }, // below an open node
                livenessProbe: { httpGet: { path: "/health" } }, // open node with listed keys
            };
            for (const file of [src.keysFile, src.valuesFile]) {
                validateChartValues(ok, file);
                assert.throws(() => validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, file), /x\.sh/);
                validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, file, {
                    freeForm: ["initScripts.scripts"],
                });
            }
        });
    });
});

describe("chart key tree format", () => {
    const tree = chartValueKeys(
        [
            "a:",
            "  b: 1",
            "  c: {}",
            "  # d: commented",
            "resources: {}",
            "  # limits:",
            "  #   cpu: 1",
            "list: []",
            '"10": numeric key',
        ].join("\n"),
    );

    it("writes closed nodes as objects, open ones as \"*\" or with a '*' member, and parses them back", () => {
        const text = serializeChartKeys(tree);
        assert.deepStrictEqual(JSON.parse(text), {
            "10": {},
            a: { b: {}, c: "*", d: {} },
            resources: { "*": "*", limits: { cpu: {} } },
            list: "*",
        });
        assert.ok(text.endsWith("}\n") && text.startsWith('{\n  "'), "two-space JSON with a final newline");
        assert.deepStrictEqual(parseChartKeys(text), tree);
        assert.strictEqual(serializeChartKeys(parseChartKeys(text)), text);
    });

    it("refuses what it cannot represent or read", () => {
        assert.throws(() => serializeChartKeys(chartValueKeys('a:\n  "*": 1\n')), /"a\.\*"/);
        assert.throws(() => parseChartKeys("[]"), /JSON object/);
        assert.throws(() => parseChartKeys('{"a": {"b": 1}}'), /a\.b: expected an object or "\*", got 1/);
        assert.throws(() => parseChartKeys('{"a": {"*": {}}}'), /a: member "\*" must be "\*"/);
    });

    it("loads .json as a key tree and .yaml/.yml as a values file, and names unreadable files", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-keys-"));
        try {
            const yaml = "a:\n  b: 1\n";
            for (const name of ["values.yaml", "values.yml"]) {
                fs.writeFileSync(path.join(dir, name), yaml);
                assert.deepStrictEqual(loadChartKeys(path.join(dir, name)), chartValueKeys(yaml));
            }
            fs.writeFileSync(path.join(dir, "keys.json"), serializeChartKeys(chartValueKeys(yaml)));
            assert.deepStrictEqual(loadChartKeys(path.join(dir, "keys.json")), chartValueKeys(yaml));
            fs.writeFileSync(path.join(dir, "bad.json"), "{ not json");
            assert.throws(
                () => validateChartValues({ a: {} }, path.join(dir, "bad.json")),
                /cannot validate Helm values: the chart's key tree .*bad\.json is not valid/,
            );
            assert.throws(() => loadChartKeys(path.join(dir, "values.txt")), /must be a values\.yaml .* got "\.txt"/);
            assert.throws(
                () => validateChartValues({ a: {} }, path.join(dir, "missing.json")),
                /cannot validate Helm values: the chart's values file .*missing\.json cannot be read/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.strictEqual(path.basename(chartKeysFile("x", "1.2.3")), "x-1.2.3.json");
    });
});

/** Keys of every node in order, to check that the order of the values file is kept (deepStrictEqual ignores it). */
function keyOrder(node: ChartKeyNode): unknown {
    return [...node.children].map(([k, child]) => [k, child.open, keyOrder(child)]);
}

describe("chart values validation", () => {
    const keys = loadChartKeys(VALUES_FILE);

    it("reads live and commented-out keys of the influxdb2 values.yaml", () => {
        const has = (path: string) => {
            let node = keys;
            for (const part of path.split(".")) {
                const child = node.children.get(part);
                if (!child) {
                    return false;
                }
                node = child;
            }
            return true;
        };
        for (const path of [
            "image.repository",
            "image.tag",
            "image.pullPolicy",
            "image.pullSecrets", // commented out
            "nameOverride",
            "adminUser.organization",
            "adminUser.existingSecret", // commented out
            "persistence.enabled",
            "persistence.size",
            "persistence.storageClass", // commented out
            "service.port",
            "ingress.className", // commented out
            "pdb.maxUnavailable", // commented out
            "volumes", // commented-out list
        ]) {
            assert.ok(has(path), path);
        }
        for (const path of ["image.imagePullPolicy", "adminUser.retention", "init.sh", "rbac"]) {
            assert.ok(!has(path), path);
        }
        assert.strictEqual(keys.children.get("resources")?.open, true, "free-form below resources: {}");
        assert.strictEqual(keys.children.get("tolerations")?.open, true);
        assert.strictEqual(keys.children.get("adminUser")?.open, false);
    });

    it("accepts free-form values below empty maps and lists, and rejects unknown keys with a suggestion", () => {
        assert.deepStrictEqual(
            findUnknownChartKeys(
                {
                    resources: { limits: { "nvidia.com/gpu": 1 } },
                    tolerations: [{ anything: true }],
                    env: { FOO: "bar" },
                    image: { tag: pulumi.output("2.7.12") },
                    adminUser: pulumi.output({ whatever: 1 }),
                },
                keys,
            ),
            [],
        );
        assert.deepStrictEqual(findUnknownChartKeys({ persistence: { sise: "1Gi" }, nodeSelectors: {} }, keys), [
            { path: "persistence.sise", suggestion: "persistence.size" },
            { path: "nodeSelectors", suggestion: "nodeSelector" },
        ]);
        assert.throws(
            () => validateChartValues({ persistence: { sise: "1Gi" } }, VALUES_FILE),
            (e: Error) =>
                e.message.includes('"persistence.sise" (did you mean "persistence.size"?)') &&
                e.message.includes(VALUES_FILE),
        );
        assert.throws(
            () => validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, VALUES_FILE),
            /"initScripts\.scripts\.x\.sh"/,
        );
        validateChartValues({ initScripts: { scripts: { "x.sh": "" } } }, VALUES_FILE, {
            freeForm: ["initScripts.scripts"],
        });
    });

    it("parses block scalars, lists at the key's indentation and quoted keys", () => {
        const tree = chartValueKeys(
            [
                "a:",
                "  script: |",
                "    not: a key",
                "  b: 1",
                "list:",
                "- name: x",
                "  inner: y",
                '"quoted.key": 1',
                "nothing:",
                "## prose: not a key",
                "# commented:",
                "#   child: 1",
            ].join("\n"),
        );
        assert.deepStrictEqual([...tree.children.keys()], ["a", "list", "quoted.key", "nothing", "commented"]);
        assert.deepStrictEqual([...(tree.children.get("a")?.children.keys() ?? [])], ["script", "b"]);
        assert.strictEqual(tree.children.get("list")?.open, true);
        assert.strictEqual(tree.children.get("nothing")?.open, true, "null: free-form");
        assert.deepStrictEqual([...(tree.children.get("commented")?.children.keys() ?? [])], ["child"]);
    });
});
