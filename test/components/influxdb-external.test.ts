// ExternalInfluxDB under mocks (components/influxdb-external.ts), behind the one InfluxConnection: what it
// registers, with which values, and that secrets stay secret. Helpers shared with the other InfluxDB specs:
// influxdb-helpers.ts.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExternalInfluxDB } from "../../components/influxdb-external";
import { parseInfluxSettings } from "../../components/settings/influxdb";
import { MockArgs, resolveOutputs, runProgram } from "../harness/mocks";
import {
    SECRET,
    ORGANIZATION,
    ORG_ID,
    mocks,
    runSettings,
    runConfig,
    assertConnection,
    assertNoLeak,
} from "./influxdb-helpers";

const ORGANIZATION_PROBE = "pulumi-nodejs:dynamic/influxdb:OrganizationProbe";

describe("ExternalInfluxDB", () => {
    it("deploys nothing, takes the token from secret config and resolves the org ID", async () => {
        const run = await runConfig({
            config: {
                platform: "external",
                influxdb: { url: "http://influxdb.monitoring:8086", org: "analytics", bucket: "flagsmith" },
            },
            secretConfig: { influxdbToken: "external-token-9" },
        });
        assert.ok(run.result instanceof ExternalInfluxDB);
        assert.deepStrictEqual(run.resources.map((r) => r.type).sort(), [
            "flagsmith:influxdb:ExternalInfluxDB",
            ORGANIZATION,
            ORGANIZATION_PROBE,
        ]);
        // The probe is read (Resource.get), by the organization's name, at every preview and update.
        const probe = run.one(ORGANIZATION_PROBE);
        assert.strictEqual(probe.id, "analytics");
        assert.deepStrictEqual(probe.inputs.connection, {
            url: "http://influxdb.monitoring:8086",
            token: "external-token-9",
        });
        const org = run.one(ORGANIZATION);
        assert.deepStrictEqual(org.inputs.connection, {
            url: "http://influxdb.monitoring:8086",
            token: "external-token-9",
        });
        assert.deepStrictEqual(org.dependsOn, []);
        assert.strictEqual(org.options.deletedWith, undefined);
        const ext = run.result as ExternalInfluxDB;
        assert.strictEqual(ext.server, undefined);
        assert.deepStrictEqual(ext.readiness, []);
        await assertConnection(ext, {
            internalUrl: "http://influxdb.monitoring:8086",
            managementUrl: "http://influxdb.monitoring:8086",
            org: "analytics",
            orgId: ORG_ID,
            adminToken: "external-token-9",
            initialBucket: "flagsmith",
        });
        assertNoLeak(run, "external-token-9");
    });

    it("uses a separate management URL when given", async () => {
        const run = await runSettings({
            platform: "external",
            url: "http://influxdb.monitoring.svc:8086",
            managementUrl: "https://influx.example.com",
            org: "o",
            bucket: "b",
            token: "t0ken",
        });
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.internalUrl.value, "http://influxdb.monitoring.svc:8086");
        assert.strictEqual(out.managementUrl.value, "https://influx.example.com");
        assert.deepStrictEqual(
            out.adminToken,
            { value: "t0ken", known: true, secret: true },
            "a plain token is made secret",
        );
    });

    it("reads the token from an existing Kubernetes Secret, decoded and secret", async () => {
        const secretMock = (a: MockArgs) =>
            a.id === "monitoring/influxdb-auth"
                ? { data: { "admin-token": Buffer.from("from-k8s-secret-5").toString("base64") } }
                : {};
        const run = await runSettings(
            {
                platform: "external",
                url: "http://influxdb.monitoring:8086",
                org: "o",
                bucket: "b",
                tokenFromExistingSecret: { name: "influxdb-auth", key: "admin-token", namespace: "monitoring" },
            },
            { mocks: { [SECRET]: secretMock } },
        );
        const read = run.one(SECRET);
        assert.strictEqual(read.read, true, "read, not created");
        assert.strictEqual(read.id, "monitoring/influxdb-auth");
        const out = await resolveOutputs(run.result);
        assert.deepStrictEqual(out.adminToken, { value: "from-k8s-secret-5", known: true, secret: true });
        assert.strictEqual((run.one(ORGANIZATION).inputs.connection as { token: string }).token, "from-k8s-secret-5");
        assertNoLeak(run, "from-k8s-secret-5");

        await assert.rejects(
            runSettings(
                {
                    platform: "external",
                    url: "http://influxdb.monitoring:8086",
                    org: "o",
                    bucket: "b",
                    tokenFromExistingSecret: { name: "influxdb-auth", key: "token", namespace: "monitoring" },
                },
                { mocks: { [SECRET]: secretMock } },
            ),
            (e: unknown) => {
                // reported against the Secret, without a stack trace
                assert.ok(pulumi.ResourceError.isInstance(e) && e.hideStack === true, String(e));
                assert.ok(e.resource instanceof k8s.core.v1.Secret, "the error names the Secret resource");
                assert.match(e.message, /Secret monitoring\/influxdb-auth has no key "token" \(keys: admin-token\)/);
                return true;
            },
        );
    });

    it("needs exactly one token source", async () => {
        const base = { platform: "external", url: "http://i:8086", org: "o", bucket: "b" };
        assert.throws(() => parseInfluxSettings(base), /set exactly one of the secret config influxdbToken/);
        assert.throws(
            () =>
                parseInfluxSettings({
                    ...base,
                    token: "t",
                    tokenFromExistingSecret: { name: "n", key: "k", namespace: "ns" },
                }),
            /set exactly one/,
        );
        await assert.rejects(
            runProgram(() => new ExternalInfluxDB("influxdb", { url: "http://i:8086", org: "o", bucket: "b" }), {
                mocks: mocks(),
            }),
            /set exactly one of token .* and tokenFromExistingSecret/,
        );
    });
});
