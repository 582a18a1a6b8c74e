// Reference data beside the repository (test/harness/reference-data.ts): a plain clone without ../shared runs the
// suite with the tests that need it skipped, one line each naming the missing file; REQUIRE_SHARED=1 (CI) fails them.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InfluxStandIn } from "./influx-standin";
import { INFLUXDB_OPENAPI_SPEC_PATH, loadContract, routesWithoutContract } from "./openapi-contract";
import {
    describeWithReference,
    displayPath,
    MISSING_MARKER,
    missingReference,
    missingReferenceLine,
    referencePath,
    referenceRequired,
    sharedRoot,
} from "./reference-data";

const ROOT = path.resolve(__dirname, "..", "..");

describe("reference data", function () {
    describe("paths", () => {
        it("are ../shared/reference/<file> beside the repository unless FLAGSMITH_INFLUXDB_SHARED names the folder", () => {
            assert.equal(sharedRoot({}), path.resolve(ROOT, "..", "shared"));
            assert.equal(referencePath("a.yml", {}), path.resolve(ROOT, "..", "shared", "reference", "a.yml"));
            assert.equal(
                referencePath("a.yml", { FLAGSMITH_INFLUXDB_SHARED: "/elsewhere" }),
                "/elsewhere/reference/a.yml",
            );
            assert.equal(sharedRoot({ FLAGSMITH_INFLUXDB_SHARED: "" }), path.resolve(ROOT, "..", "shared"));
        });

        it("are shown relative to the repository when beside it, else absolute", () => {
            assert.equal(displayPath(referencePath("a.yml", {})), path.join("..", "shared", "reference", "a.yml"));
            assert.equal(displayPath("/elsewhere/reference/a.yml"), "/elsewhere/reference/a.yml");
        });

        it("only REQUIRE_SHARED=1 makes missing data a failure", () => {
            assert.deepEqual(
                [{}, { REQUIRE_SHARED: "0" }, { REQUIRE_SHARED: "" }, { REQUIRE_SHARED: "1" }].map(referenceRequired),
                [false, false, false, true],
            );
        });

        it("reports the missing files on one line that starts with the marker", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reference-"));
            try {
                const present = path.join(dir, "present.yml");
                fs.writeFileSync(present, "x: 1\n");
                const absent = path.join(dir, "absent.yml");
                assert.deepEqual(missingReference([present, absent]), [absent]);
                const line = missingReferenceLine([absent]);
                // As the messages show paths: absolute, or relative when the temporary folder is beside the repository.
                assert.ok(line.startsWith(`${MISSING_MARKER} ${displayPath(absent)} (`), line);
                assert.ok(!line.includes("\n"), line);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("a run without ../shared (in a child process, one small test file)", function () {
        let empty: string;
        const mocha = (env: Record<string, string>) => {
            const args = [
                require.resolve("mocha/bin/mocha.js"),
                "--no-config",
                "--require",
                "ts-node/register/transpile-only",
                "--reporter",
                "spec",
                "--no-colors",
                "--exit",
                "test/components/chart-values.test.ts",
            ];
            const base = { ...process.env };
            delete base.REQUIRE_SHARED;
            const child = spawnSync(process.execPath, args, {
                cwd: ROOT,
                env: { ...base, FLAGSMITH_INFLUXDB_SHARED: empty, ...env },
                encoding: "utf8",
            });
            return { status: child.status, output: `${child.stdout}${child.stderr}` };
        };
        const valuesFiles = ["influxdb2-chart-2.1.2-values.yaml", "flagsmith-chart-0.81.0-values.yaml"];

        before(() => {
            empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-shared-"));
        });

        after(() => {
            fs.rmSync(empty, { recursive: true, force: true });
        });

        it("passes, skipping each block that needs the data with one line naming the missing file", () => {
            const run = mocha({});
            assert.equal(run.status, 0, run.output);
            const skips = run.output.split("\n").filter((l) => l.includes(`- skipped: ${MISSING_MARKER}`));
            assert.equal(skips.length, 3, run.output);
            for (const file of valuesFiles) {
                assert.ok(
                    skips.some((l) => l.includes(displayPath(path.join(empty, "reference", file)))),
                    `${file} named:\n${run.output}`,
                );
            }
            assert.match(run.output, /\n +3 pending\n/);
            assert.doesNotMatch(run.output, /failing/);
            assert.match(run.output, /chart key tree format/, "the tests that need no reference data still ran");
        });

        it("fails with REQUIRE_SHARED=1, naming each missing file", () => {
            const run = mocha({ REQUIRE_SHARED: "1" });
            assert.notEqual(run.status, 0, run.output);
            assert.match(run.output, /\n +3 failing\n/);
            for (const file of valuesFiles) {
                const line = `${MISSING_MARKER} ${displayPath(path.join(empty, "reference", file))}`;
                assert.ok(run.output.includes(line), `${line} in:\n${run.output}`);
            }
            assert.match(run.output, /REQUIRE_SHARED=1 makes this a failure/);
            assert.doesNotMatch(run.output, /- skipped:/);
        });
    });

    describe("the stand-in without the OpenAPI contract", () => {
        it("routes every route key to itself, with its path parameters, and tells unknown paths from other methods", () => {
            const routes = routesWithoutContract(InfluxStandIn.routes());
            assert.equal(routes.validates, false);
            for (const route of InfluxStandIn.routes()) {
                const [method, template] = route.split(" ");
                const urlPath = template.replace(/\{([^}]+)\}/g, (_, name: string) => `${name}-value`);
                const matched = routes.match(method, urlPath);
                assert.ok(typeof matched === "object", `${route}: ${String(matched)}`);
                assert.equal(matched.operation.routeKey, route);
                for (const [name, value] of Object.entries(matched.params)) {
                    assert.equal(value, `${name}-value`);
                }
            }
            assert.equal(routes.match("PUT", "/api/v2/buckets"), "method");
            assert.equal(routes.match("GET", "/api/v2/nothing-here"), undefined);
            assert.deepEqual(routes.validateRequest(routes.operationForRoute("GET /health")!, EMPTY_REQUEST), []);
        });

        describeWithReference("compared with the contract", [INFLUXDB_OPENAPI_SPEC_PATH], () => {
            it("routes the stand-in's requests as the contract does", async () => {
                const contract = await loadContract();
                const routes = routesWithoutContract(InfluxStandIn.routes());
                for (const route of InfluxStandIn.routes()) {
                    const [method, template] = route.split(" ");
                    const urlPath = template.replace(/\{([^}]+)\}/g, "0123456789abcdef");
                    const fromContract = contract.match(method, urlPath);
                    const fromRoutes = routes.match(method, urlPath);
                    assert.ok(typeof fromContract === "object" && typeof fromRoutes === "object", route);
                    assert.deepEqual(
                        [fromRoutes.operation.routeKey, fromRoutes.operation.base, fromRoutes.params],
                        [fromContract.operation.routeKey, fromContract.operation.base, fromContract.params],
                    );
                }
            });
        });

        it("is used only where the contract file is absent", async function () {
            const standIn = await InfluxStandIn.start();
            try {
                assert.equal(standIn.validatesContract, missingReference([INFLUXDB_OPENAPI_SPEC_PATH]).length === 0);
            } finally {
                await standIn.stop();
            }
        });
    });
});

const EMPTY_REQUEST = { method: "GET", path: "/health", query: "", headers: {}, body: "" };
