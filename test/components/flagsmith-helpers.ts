// What the specs of the Flagsmith components share (flagsmith-docker.test.ts, flagsmith-kubernetes.test.ts): the
// InfluxDB connection Flagsmith is given, the mocked resource types and their outputs.
import * as pulumi from "@pulumi/pulumi";
import { FlagsmithInfluxEnv } from "../../components/connection";
import { MockArgs } from "../harness/mocks";
import { TYPES } from "../harness/program-mocks";

export const TOKEN = "least-privilege-token-7f3a9c";
export const INFLUX_URL = "http://influxdb:8086";
export const ORG = "flagsmith-org";
export const BUCKET = "flagsmith_raw";

export const CONTAINER = TYPES.container;
export const REMOTE_IMAGE = TYPES.remoteImage;
export const RANDOM_PASSWORD = TYPES.randomPassword;

export function influxEnv(): FlagsmithInfluxEnv {
    return {
        INFLUXDB_URL: pulumi.output(INFLUX_URL),
        INFLUXDB_TOKEN: pulumi.secret(TOKEN),
        INFLUXDB_ORG: pulumi.output(ORG),
        INFLUXDB_BUCKET: pulumi.output(BUCKET),
    };
}

/** The value the RandomPassword mock generates for a resource. */
export function generated(name: string): string {
    return `generated-${name}-Zx9`;
}

export function mocks(migrateExitCode = 0) {
    return {
        [RANDOM_PASSWORD]: (a: MockArgs) => ({ result: generated(a.name) }),
        [REMOTE_IMAGE]: (a: MockArgs) => ({ imageId: `sha256:${a.name}` }),
        [CONTAINER]: (a: MockArgs) => (a.inputs.attach === true && !a.preview ? { exitCode: migrateExitCode } : {}),
    };
}
