// Mocked outputs for every resource type the program registers, shared by the program-level tests.
import { createHash } from "crypto";
import { MOCK_ID, MockArgs, MockOutputs, UNKNOWN } from "./mocks";

export const TYPES = {
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    network: "docker:index/network:Network",
    randomPassword: "random:index/randomPassword:RandomPassword",
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    persistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
    release: "kubernetes:helm.sh/v3:Release",
    organization: "pulumi-nodejs:dynamic/influxdb:Organization",
    organizationProbe: "pulumi-nodejs:dynamic/influxdb:OrganizationProbe",
    bucket: "pulumi-nodejs:dynamic/influxdb:Bucket",
    task: "pulumi-nodejs:dynamic/influxdb:Task",
    authorization: "pulumi-nodejs:dynamic/influxdb:Authorization",
    analytics: "flagsmith:analytics:InfluxAnalytics",
} as const;

export const MOCK_ORG_ID = "0a1b2c3d4e5f6789";

/** A deterministic 16-hex-character ID from a name, like InfluxDB's. */
export const mockId = (name: string) => createHash("sha256").update(name).digest("hex").slice(0, 16);
/** What a RandomPassword named `name` generates under these mocks. */
export const generatedSecret = (name: string) => `gen-${name}-Qx7`;
/** The token an Authorization named `name` returns under these mocks. */
export const mockToken = (name: string) => `tok-${name}-9fz`;

const known = (a: MockArgs, outputs: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, a.preview ? UNKNOWN : v]));

/** Outputs of a resource whose provider returns `id` (no ID in previews: the resource is being created). */
const withId = (a: MockArgs, id: string, outputs: Record<string, unknown>) =>
    a.preview ? known(a, outputs) : { ...outputs, [MOCK_ID]: id };

/** Outputs the engine would fill in, per type; unknown in previews. */
export function programMocks(extra: Record<string, MockOutputs> = {}): Record<string, MockOutputs> {
    return {
        [TYPES.randomPassword]: (a) => known(a, { result: generatedSecret(a.name) }),
        [TYPES.remoteImage]: (a) => known(a, { imageId: `sha256:${mockId(String(a.inputs.name))}` }),
        [TYPES.container]: (a) => (a.inputs.attach === true ? known(a, { exitCode: 0 }) : {}),
        // InfluxDB resources: the Pulumi ID is the InfluxDB ID, as the providers return it.
        [TYPES.organization]: (a) => withId(a, MOCK_ORG_ID, { orgId: MOCK_ORG_ID }),
        [TYPES.bucket]: (a) => withId(a, mockId(String(a.inputs.name)), { bucketId: mockId(String(a.inputs.name)) }),
        [TYPES.task]: (a) => withId(a, mockId(a.name), { taskId: mockId(a.name), status: a.inputs.status ?? "active" }),
        [TYPES.authorization]: (a) =>
            withId(a, mockId(a.name), { authorizationId: mockId(a.name), token: mockToken(a.name) }),
        ...extra,
    };
}
