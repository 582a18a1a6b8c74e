// createInfluxDB (components/influxdb.ts): the InfluxDB implementation the settings choose, each an InfluxConnection.
import * as assert from "assert";
import { resolveOutputs } from "../harness/mocks";
import { runSettings } from "./influxdb-helpers";

describe("createInfluxDB", () => {
    it("chooses the implementation from the platform, each an InfluxConnection", async () => {
        const settings = [
            { platform: "docker" },
            { platform: "kubernetes" },
            { platform: "external", url: "http://i:8086", org: "o", bucket: "b", token: "t" },
        ];
        const types = [];
        for (const s of settings) {
            const run = await runSettings(s);
            const components = run.resources.filter((r) => r.type.startsWith("flagsmith:influxdb:"));
            assert.strictEqual(components.length, 1);
            types.push(components[0].type);
            const out = await resolveOutputs(run.result);
            for (const key of ["internalUrl", "managementUrl", "org", "orgId", "adminToken", "initialBucket"]) {
                assert.ok(out[key]?.known, `${s.platform}: ${key}`);
            }
            assert.deepStrictEqual(Object.keys(components[0].outputs).includes("orgId"), true, "registerOutputs");
        }
        assert.deepStrictEqual(types, [
            "flagsmith:influxdb:DockerInfluxDB",
            "flagsmith:influxdb:KubernetesInfluxDB",
            "flagsmith:influxdb:ExternalInfluxDB",
        ]);
    });
});
