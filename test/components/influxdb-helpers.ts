// What the specs of the InfluxDB components share (influxdb-docker, influxdb-kubernetes, influxdb-external and
// settings/influxdb .test.ts; chart-values.test.ts reads VALUES_FILE): the mocked resource types and their outputs,
// createInfluxDB run on settings, and the assertions on a connection and on secrets.
import * as assert from "assert";
import { InfluxConnection } from "../../components/connection";
import { createInfluxDB } from "../../components/influxdb";
import { INFLUXDB2_CHART_KEYS_FILE } from "../../components/influxdb-kubernetes";
import { influxSettingsFromConfig, parseInfluxSettings } from "../../components/settings/influxdb";
import {
    MOCK_ID,
    MockArgs,
    MockOutputs,
    MockRun,
    resolveOutputs,
    runProgram,
    RunOptions,
    UNKNOWN,
} from "../harness/mocks";
import { TYPES } from "../harness/program-mocks";

export const CONTAINER = TYPES.container;
export const REMOTE_IMAGE = TYPES.remoteImage;
export const RANDOM_PASSWORD = TYPES.randomPassword;
export const SECRET = TYPES.secret;
export const ORGANIZATION = TYPES.organization;
export const ORG_ID = "0a1b2c3d4e5f6789";

/** The committed key tree of the pinned chart's values.yaml, the components' default. */
export const VALUES_FILE = INFLUXDB2_CHART_KEYS_FILE;

/** What the generated password or token of a RandomPassword resolves to. */
const generated = (name: string) => `gen-${name}-Qx7`;
export const PASSWORD = generated("influxdb-admin-password");
export const TOKEN = generated("influxdb-admin-token");

export function mocks(extra: Record<string, MockOutputs> = {}): Record<string, MockOutputs> {
    return {
        [RANDOM_PASSWORD]: (a: MockArgs) => ({ result: a.preview ? UNKNOWN : generated(a.name) }),
        [REMOTE_IMAGE]: (a: MockArgs) => ({ imageId: `sha256:${String(a.inputs.name)}` }),
        // The provider returns the organization ID as the Pulumi ID, and as `orgId`.
        [ORGANIZATION]: (a: MockArgs) => (a.preview ? { orgId: UNKNOWN } : { orgId: ORG_ID, [MOCK_ID]: ORG_ID }),
        ...extra,
    };
}

/** Run `createInfluxDB` on settings parsed from a raw object. */
export function runSettings(raw: Record<string, unknown>, options: RunOptions = {}) {
    return runProgram(() => createInfluxDB("influxdb", parseInfluxSettings(raw)), {
        ...options,
        mocks: mocks(options.mocks),
    });
}

/** Run `createInfluxDB` on settings read from stack config, as the program does. */
export function runConfig(options: RunOptions) {
    return runProgram(() => createInfluxDB("influxdb", influxSettingsFromConfig()), {
        ...options,
        mocks: mocks(options.mocks),
    });
}

export function envOf(run: MockRun<unknown>): Record<string, string> {
    const envs = run.one(CONTAINER).inputs.envs as string[];
    return Object.fromEntries(envs.map((e) => [e.split("=")[0], e.substring(e.indexOf("=") + 1)]));
}

export async function assertConnection(connection: InfluxConnection, expected: Record<string, string>): Promise<void> {
    const out = await resolveOutputs(connection);
    for (const [key, value] of Object.entries(expected)) {
        assert.strictEqual(out[key]?.value, value, `${key}`);
    }
    assert.strictEqual(out.adminToken.secret, true, "adminToken is secret");
    for (const key of ["internalUrl", "managementUrl", "org", "orgId", "initialBucket"]) {
        assert.strictEqual(out[key].secret, false, `${key} is not secret`);
    }
}

/** No secret in plain text in any recorded input or output; every component's adminToken output is secret. */
export function assertNoLeak(run: MockRun<unknown>, ...secrets: string[]): void {
    for (const s of secrets) {
        assert.deepStrictEqual(run.plaintextOccurrences(s), [], `${s} leaks`);
    }
    for (const c of run.resources.filter((r) => r.type.startsWith("flagsmith:influxdb:"))) {
        assert.ok(c.secretOutputs.includes("adminToken"), `${c.name}: registered adminToken is secret`);
    }
}
