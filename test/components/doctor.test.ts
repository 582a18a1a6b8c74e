// The doctor's pure parts (components/doctor.ts); its checks against a live server are in test/e2e/program.e2e.ts.
import * as assert from "assert";
import { doctorArguments, downsamplingBehind, inputsFromOutputs, report } from "../../components/doctor";

describe("doctor", () => {
    const outputs = {
        influxdbUrl: "http://localhost:8086",
        influxdbOperatorToken: "operator",
        influxdbOrgId: "0123456789abcdef",
        flagsmithEnv: { INFLUXDB_TOKEN: "flagsmith", INFLUXDB_BUCKET: "default" },
        taskIds: { "Downsample API 1h": "1111111111111111" },
    };

    it("reads what it needs from the stack's outputs", () => {
        assert.deepStrictEqual(inputsFromOutputs(outputs), {
            managementUrl: "http://localhost:8086",
            operatorToken: "operator",
            orgId: "0123456789abcdef",
            env: { INFLUXDB_TOKEN: "flagsmith", INFLUXDB_BUCKET: "default" },
            taskIds: { "Downsample API 1h": "1111111111111111" },
        });
    });

    it("names every output it lacks, including secrets shown masked, and says to run up", () => {
        assert.throws(
            () => inputsFromOutputs({ ...outputs, influxdbOperatorToken: "[secret]", influxdbOrgId: undefined }),
            /lack influxdbOperatorToken, influxdbOrgId: run `pulumi up` first/,
        );
    });

    it("finds a downsampled bucket behind only once the last raw point's window ended (and a grace passed)", () => {
        const window = 900;
        const lastRaw = 10 * window + 100; // in the window that ends at 11 * window
        const end = 11 * window;
        assert.strictEqual(downsamplingBehind(lastRaw, undefined, window, end + 60), false, "within the grace");
        assert.strictEqual(downsamplingBehind(lastRaw, undefined, window, end + 700), true, "never written");
        assert.strictEqual(downsamplingBehind(lastRaw, end - window, window, end + 700), true, "an older window only");
        assert.strictEqual(downsamplingBehind(lastRaw, end, window, end + 700), false, "the window's point is there");
        assert.strictEqual(
            downsamplingBehind(undefined, undefined, window, end + 700),
            false,
            "no raw data: not behind",
        );
    });

    it("reports each finding, the fix of each problem, and exits 1 only on a problem", () => {
        const ok = { check: "InfluxDB", ok: true, detail: "reachable" };
        assert.deepStrictEqual(report([ok]), {
            text: "ok    InfluxDB: reachable\nanalytics flow: no problem found",
            exitCode: 0,
        });
        const bad = { check: 'task "x"', ok: false, detail: "inactive", fix: "pulumi up --refresh" };
        assert.deepStrictEqual(report([ok, bad]), {
            text: 'ok    InfluxDB: reachable\nFAIL  task "x": inactive\n      fix: pulumi up --refresh\n1 problem(s) found',
            exitCode: 1,
        });
    });
});

describe("doctor's command line", () => {
    it("takes --stack <name> or help, and refuses anything else before reading the stack", () => {
        assert.deepStrictEqual(doctorArguments([]), { help: false, stack: undefined });
        assert.deepStrictEqual(doctorArguments(["--stack", "prod"]), { help: false, stack: "prod" });
        assert.deepStrictEqual(doctorArguments(["-h"]), { help: true });
        assert.throws(() => doctorArguments(["--bogus"]), /unknown argument "--bogus"\nusage: npm run doctor/);
        assert.throws(() => doctorArguments(["--stack"]), /--stack needs a stack name/);
    });
});
