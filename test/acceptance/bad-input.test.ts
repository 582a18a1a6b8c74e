// Bad input: one table of bad settings in stack config, component arguments and resource arguments. Each is
// rejected with a message that names the setting and says the fix (or the constraint), before anything is written:
// - stack config and component rows run the program / component under mocks, in preview and in up mode, and record
//   every resource registration that reaches the (mock) engine: none may be an InfluxDB resource (stack config: none
//   at all). What did reach the engine is replayed through the real provider host against the InfluxDB stand-in, whose
//   request counter must stay at zero;
// - resource rows drive the serialized providers through the real dynamic-provider host (Engine.preview = Check +
//   Diff, Engine.up = Check first): a CheckFailedError naming the property, and zero requests at the stand-in.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DockerFlagsmith } from "../../components/flagsmith-docker";
import { DockerInfluxDB } from "../../components/influxdb-docker";
import { ExternalInfluxDB } from "../../components/influxdb-external";
import { KubernetesInfluxDB } from "../../components/influxdb-kubernetes";
import { Authorization } from "../../dynamic-providers/authorization";
import { Bucket } from "../../dynamic-providers/bucket";
import { Organization } from "../../dynamic-providers/organization";
import { Task } from "../../dynamic-providers/task";
import { CheckFailedError, Engine, ProviderHost, Props } from "../harness/provider-host";
import { InfluxStandIn, standInTarget } from "../harness/influx-standin";
import { MockArgs, MockOutputs, runProgram, RunOptions } from "../harness/mocks";
import { programMocks } from "../harness/program-mocks";
import { howReported } from "../harness/user-errors";

/** The stand-in as the rows see it (its URL and port are only known once it runs). */
interface Target {
    readonly url: string;
    readonly token: string;
    readonly orgId: string;
    readonly orgName: string;
}
type Config = Record<string, unknown>;
type ResourceType = "Bucket" | "Task" | "Authorization" | "Organization";

interface RowBase {
    /** The setting, as the user writes it. */
    readonly setting: string;
    /** The bad value, for the test title. */
    readonly bad: string;
    /** The message must name the setting ... */
    readonly field: RegExp;
    /** ... and say the fix or the constraint. */
    readonly fix: RegExp;
}
interface ConfigRow extends RowBase {
    readonly where: "stack config";
    readonly config: (t: Target) => Config;
    readonly secretConfig?: (t: Target) => Config;
}
interface ComponentRow extends RowBase {
    readonly where: "component args";
    readonly build: (t: Target) => void;
}
interface ResourceRow extends RowBase {
    readonly where: "resource args";
    readonly type: ResourceType;
    /** Replaces top-level inputs of valid serialized inputs. */
    readonly patch: (t: Target) => Props;
    /** The property the check failure must name. */
    readonly property: string;
}
type Row = ConfigRow | ComponentRow | ResourceRow;

const DAY = 86400;
const DYNAMIC = "pulumi-nodejs:dynamic/influxdb:";
const FLUX_BODY = '\nfrom(bucket: "default")\n    |> range(start: -1h)\n    |> to(bucket: "default_downsampled_1h")\n';
const flux = (header: string) => `${header}\n${FLUX_BODY}`;
const GOOD_HEADER = 'option task = {name: "t", every: 1h}';
const extraTask = (header: string, body = FLUX_BODY) => ({
    tasks: { extra: [{ name: "t", flux: `${header}\n${body}` }] },
});
/** A valid external stack against the stand-in; rows change one thing. */
const external = (t: Target, influxdb: Config = {}): Config => ({
    platform: "external",
    influxdb: { url: t.url, org: t.orgName, bucket: "default", ...influxdb },
    flagsmith: { enabled: false },
});
const externalToken = (t: Target) => ({ influxdbToken: t.token });

const cfg = (
    setting: string,
    bad: string,
    config: (t: Target) => Config,
    field: RegExp,
    fix: RegExp,
    secretConfig?: (t: Target) => Config,
): ConfigRow => ({ where: "stack config", setting, bad, config, secretConfig, field, fix });
const comp = (setting: string, bad: string, build: (t: Target) => void, field: RegExp, fix: RegExp): ComponentRow => ({
    where: "component args",
    setting,
    bad,
    build,
    field,
    fix,
});
const res = (
    type: ResourceType,
    property: string,
    bad: string,
    patch: (t: Target) => Props,
    field: RegExp,
    fix: RegExp,
): ResourceRow => ({ where: "resource args", setting: `${type}.${property}`, type, property, bad, patch, field, fix });

const BAD_INPUT: readonly Row[] = [
    // ---- stack config (Pulumi.<stack>.yaml), through the whole program -------------------------------------------
    cfg(
        "platform",
        '"swarm"',
        () => ({ platform: "swarm" }),
        /platform: unknown platform "swarm"/,
        /use one of docker, kubernetes, external\. Fix: pulumi config set platform docker/,
    ),
    cfg(
        "flagsmith.platform",
        '"swarm"',
        () => ({ platform: "docker", flagsmith: { platform: "swarm" } }),
        /flagsmith\.platform: unknown platform "swarm"/,
        /use docker or kubernetes/,
    ),
    cfg(
        "influxdb.org (external)",
        "missing",
        (t) => ({ ...external(t), influxdb: { url: t.url, bucket: "default" } }),
        /influxdb\.org: is required/,
        /Fix: pulumi config set --path influxdb\.org/,
        externalToken,
    ),
    cfg(
        "retention.raw",
        '"60s"',
        () => ({ retention: { raw: "60s" } }),
        /retention\.raw: retention "60s"/,
        /below InfluxDB's minimum of 1h; use 1h or more, or 0s/,
    ),
    cfg(
        "influxdb.retention",
        '"60s"',
        () => ({ influxdb: { retention: "60s" } }),
        /influxdb\.retention: retention "60s"/,
        /minimum of 1h; use 1h or more.*Fix: pulumi config set --path influxdb\.retention/,
    ),
    cfg(
        "retention.downsampled15m",
        '"30d"',
        () => ({ retention: { downsampled15m: "30d" } }),
        /retention\.downsampled15m:/,
        /use at least 180d \(or 0s\)/,
    ),
    cfg(
        "bucket",
        '"_internal" (leading _)',
        () => ({ bucket: "_internal" }),
        /bucket: "_internal"/,
        /must not start with `_`.*Fix: pulumi config set bucket default/,
    ),
    cfg(
        "bucket",
        '"a\\"b" (quote)',
        () => ({ bucket: 'a"b' }),
        /bucket: "a\\"b"/,
        /must not contain a double quote.*Fix: pulumi config set bucket/,
    ),
    cfg(
        "bucket",
        '"" (empty)',
        () => ({ bucket: "" }),
        /bucket: ""/,
        /must be a non-empty string; Fix: pulumi config set bucket/,
    ),
    cfg(
        "bucket",
        "256 characters",
        () => ({ bucket: "b".repeat(256) }),
        /bucket: "b{256}"/,
        /too long \(256 characters; at most 255\); Fix: pulumi config set bucket/,
    ),
    cfg(
        "tasks.extra[].flux",
        "unknown function rnge()",
        () => extraTask(GOOD_HEADER, FLUX_BODY.replace("range(", "rnge(")),
        /downsampling task "t": Flux error at line \d+, column \d+/,
        /undefined identifier rnge/,
    ),
    cfg(
        "tasks.extra[].flux",
        "both every and cron",
        () => extraTask('option task = {name: "t", every: 1h, cron: "0 * * * *"}'),
        /downsampling task "t": flux: option task/,
        /sets both `every` and `cron`; use exactly one/,
    ),
    cfg(
        "tasks.extra[].flux",
        "a non-literal option task",
        () => extraTask('e = 1h\noption task = {name: "t", every: e}'),
        /downsampling task "t": flux: option task: `every`/,
        /must be a duration literal such as 15m, got identifier `e`/,
    ),
    cfg(
        "tasks.extra[].flux",
        "no option task",
        () => extraTask(""),
        /downsampling task "t": flux: option task/,
        /no `option task = \{\.\.\.\}` statement found/,
    ),
    cfg(
        "tasks.overrides",
        'an unknown task "Nope"',
        () => ({ tasks: { overrides: { Nope: { every: "5m" } } } }),
        /tasks\.overrides names unknown task\(s\) "Nope"/,
        /the default tasks are "Downsample \(API Requests\)"/,
    ),
    cfg(
        "tasks.overrides[].every",
        '"1hour" (bad task window)',
        () => ({ tasks: { overrides: { "Downsample API 1h": { every: "1hour" } } } }),
        /downsampling task "Downsample API 1h": every:/,
        /invalid Flux duration "1hour" \(expected e\.g\. 15m, 1h30m/,
    ),
    cfg(
        "flagsmith-influxdb:flagsmth",
        "an unknown config key",
        () => ({ flagsmth: { enabled: false } }),
        /flagsmith-influxdb:flagsmth: unknown setting/,
        /known: platform, influxdb, bucket/,
    ),
    cfg(
        "influxdb.adminToken",
        "a secret in plain config",
        () => ({ influxdb: { adminToken: "plain-admin-token-1" } }),
        /influxdb\.adminToken: secrets must not be in plain config/,
        /pulumi config rm --path influxdb\.adminToken && pulumi config set --secret influxdbAdminToken/,
    ),
    cfg(
        "influxdb.token (external)",
        "a secret in plain config",
        (t) => external(t, { token: t.token }),
        /influxdb\.token: secrets must not be in plain config/,
        /pulumi config set --secret influxdbToken/,
    ),
    cfg(
        "influxdb.port",
        "70000",
        () => ({ influxdb: { port: 70000 } }),
        /influxdb\.port: port/,
        /between 1 and 65535, got 70000\. Fix: pulumi config set --path influxdb\.port/,
    ),
    cfg(
        "flagsmith.apiPort",
        "70000",
        () => ({ flagsmith: { apiPort: 70000 } }),
        /flagsmith\.apiPort: port/,
        /must be an integer between 1 and 65535, got 70000/,
    ),
    cfg(
        "influxdb.extraValues",
        "unknown Helm key persistance",
        () => ({ platform: "kubernetes", influxdb: { extraValues: { persistance: { size: "5Gi" } } } }),
        /extraValues: unknown Helm chart value "persistance"/,
        /did you mean "persistence"\?.*Fix the key or remove it/,
    ),
    cfg(
        "flagsmith.extraValues",
        "unknown Helm key",
        () => ({ platform: "kubernetes", flagsmith: { extraValues: { apii: { replicaCount: 2 } } } }),
        /flagsmith\.extraValues: unknown Helm chart value "apii"/,
        /did you mean "api"\?.*Fix the key or remove it/,
    ),
    cfg(
        "flagsmith.image",
        "set for Flagsmith on Kubernetes",
        () => ({ platform: "kubernetes", flagsmith: { image: "flagsmith/flagsmith:2.227.0" } }),
        /flagsmith\.image: only used when Flagsmith runs on docker, not on kubernetes/,
        /flagsmith\.extraValues: \{ api: \{ image/,
    ),
    cfg(
        "flagsmith.database",
        "set for Flagsmith on Docker",
        () => ({ flagsmith: { database: { url: "postgres://db/flagsmith" } } }),
        /flagsmith\.database: only used when Flagsmith runs on kubernetes, not on docker/,
        /runs its own Postgres/,
    ),
    cfg(
        "influxdb.url (external)",
        '"influx.internal:8086" (no scheme)',
        (t) => external(t, { url: "influx.internal:8086", managementUrl: t.url }),
        /influxdb\.url: "influx\.internal:8086"/,
        /is not an http\(s\) URL; use e\.g\. http:\/\/.*Fix: pulumi config set --path influxdb\.url/,
        externalToken,
    ),
    cfg(
        "influxdb.managementUrl (kubernetes)",
        '"localhost:8086"',
        () => ({ platform: "kubernetes", influxdb: { managementUrl: "localhost:8086" } }),
        /influxdb\.managementUrl: "localhost:8086"/,
        /not an http\(s\) URL; use e\.g\. http:\/\//,
    ),
    cfg(
        "influxdbToken (external, secret)",
        '"" (empty)',
        (t) => external(t),
        /influxdb\.token: .*must be a non-empty string, got ""/,
        /Fix: pulumi config set --secret influxdbToken/,
        () => ({ influxdbToken: "" }),
    ),
    cfg(
        "influxdb.image (docker)",
        '"influxdb:latest" (InfluxDB 3)',
        () => ({ influxdb: { image: "influxdb:latest" } }),
        /influxdb\.image \("influxdb:latest"\): image tag "latest" is InfluxDB 3/,
        /Pin a 2\.x tag, e\.g\. 2\.7\.\d+\. Fix: pulumi config set --path influxdb\.image/,
    ),
    cfg(
        "influxdb.image.tag (kubernetes)",
        '"3.1"',
        () => ({ platform: "kubernetes", influxdb: { image: { tag: "3.1" } } }),
        /influxdb\.image\.tag: image tag "3\.1" is not an InfluxDB 2\.x tag/,
        /Pin a 2\.x tag.*Fix: pulumi config set --path influxdb\.image\.tag/,
    ),
    cfg(
        "influxdb.port (set without --path)",
        'a top-level key "influxdb.port"',
        () => ({ "influxdb.port": 8087 }),
        /flagsmith-influxdb:influxdb\.port: a top-level key literally named "influxdb\.port", set without --path/,
        /pulumi config rm influxdb\.port && pulumi config set --path influxdb\.port 8087$/,
    ),
    cfg(
        "flagsmith.enabled",
        '"false" (quoted)',
        (t) => ({ ...external(t), flagsmith: { enabled: "false" } }),
        // The only problem reported (before, a second one asked for flagsmith.platform).
        /^Invalid stack config:\n {2}- flagsmith\.enabled: "false" is a quoted string, not a boolean;[^\n]*$/,
        /write it unquoted in Pulumi\.<stack>\.yaml, or run: pulumi config set --path flagsmith\.enabled false$/,
        externalToken,
    ),
    cfg(
        "tasks.overrides[].remove",
        '"false" (quoted: would remove the task)',
        () => ({ tasks: { overrides: { "Downsample API 1h": { remove: "false" } } } }),
        /tasks\.overrides\["Downsample API 1h"\]\.remove: "false" is a quoted string/,
        /pulumi config set --path 'tasks\.overrides\["Downsample API 1h"\]\.remove' false/,
    ),
    cfg(
        "influxdb.port = flagsmith.apiPort",
        "8000 (Flagsmith's default)",
        () => ({ influxdb: { port: 8000 } }),
        /influxdb\.port and flagsmith\.apiPort: both are 8000/,
        /need different ports\. Fix: pulumi config set --path flagsmith\.apiPort 8001/,
    ),
    cfg(
        "flagsmith.platform (InfluxDB on Kubernetes)",
        '"docker"',
        () => ({ platform: "kubernetes", flagsmith: { platform: "docker" } }),
        /flagsmith\.platform: Flagsmith on Docker cannot reach an InfluxDB inside the cluster/,
        /run Flagsmith on Kubernetes \(pulumi config set --path flagsmith\.platform kubernetes\) or .*flagsmith\.enabled false/,
    ),
    cfg(
        "flagsmith.platform (InfluxDB on Docker)",
        '"kubernetes"',
        () => ({ platform: "docker", flagsmith: { platform: "kubernetes" } }),
        /flagsmith\.platform: Flagsmith on Kubernetes cannot reach an InfluxDB on the local Docker engine/,
        /pulumi config set platform kubernetes\), or on a server the cluster reaches \(platform: external/,
    ),
    // Both charts write these unquoted into env values, and Kubernetes reads YAML 1.1
    // (test/acceptance/chart-render.test.ts).
    cfg(
        "influxdb.org (Kubernetes)",
        '"2024"',
        () => ({ platform: "kubernetes", influxdb: { org: "2024" } }),
        /influxdb\.org: "2024" reaches the Helm chart's environment unquoted and Kubernetes would read it as a number/,
        /choose a name YAML reads as text/,
    ),
    cfg(
        "bucket (Flagsmith on Kubernetes)",
        '"yes"',
        () => ({ platform: "kubernetes", bucket: "yes" }),
        /bucket: "yes" reaches the Helm chart's environment unquoted and Kubernetes would read it as a boolean/,
        /choose a name YAML reads as text/,
    ),
    cfg(
        "influxdb.username (Kubernetes)",
        '"null"',
        () => ({ platform: "kubernetes", influxdb: { username: "null" } }),
        /influxdb\.username: "null" .* would read it as null/,
        /choose a name YAML reads as text/,
    ),
    cfg(
        "influxdb.org (not YAML text on Kubernetes)",
        '"a: b"',
        () => ({ platform: "kubernetes", influxdb: { org: "a: b" } }),
        /influxdb\.org: "a: b" .* would read it as invalid YAML/,
        /no ': ' or ' #'/,
    ),
    cfg(
        "flagsmith.image",
        '"flagsmith/flagsmith:latest"',
        () => ({ flagsmith: { image: "flagsmith/flagsmith:latest" } }),
        /(?<!DockerFlagsmith: )flagsmith\.image: "flagsmith\/flagsmith:latest" must be pinned/,
        /Fix: pulumi config set --path flagsmith\.image flagsmith\/flagsmith:2\.227\.0/,
    ),
    cfg(
        "flagsmith.bindAddress",
        '"localhost" (not an IP)',
        () => ({ flagsmith: { bindAddress: "localhost" } }),
        /flagsmith\.bindAddress: "localhost" is not an IP address/,
        /Fix: pulumi config set --path flagsmith\.bindAddress 127\.0\.0\.1/,
    ),
    cfg(
        "flagsmith.extraEnv",
        "INFLUXDB_URL (wired by the program)",
        () => ({ flagsmith: { extraEnv: { INFLUXDB_URL: "http://elsewhere:8086" } } }),
        /flagsmith\.extraEnv\.INFLUXDB_URL: extraEnv must not set INFLUXDB_URL/,
        /remove it: pulumi config rm --path flagsmith\.extraEnv\.INFLUXDB_URL/,
    ),

    // ---- component arguments, each component on its own --------------------------------------------------------
    comp(
        "ExternalInfluxDB url",
        '"not a url"',
        (t) =>
            new ExternalInfluxDB("influxdb", {
                url: "not a url",
                managementUrl: t.url,
                org: t.orgName,
                bucket: "b",
                token: t.token,
            }),
        /ExternalInfluxDB "influxdb" url: "not a url"/,
        /is not an http\(s\) URL; use e\.g\. http:\/\//,
    ),
    comp(
        "ExternalInfluxDB managementUrl",
        '"ftp://influx"',
        (t) =>
            new ExternalInfluxDB("influxdb", {
                url: t.url,
                managementUrl: "ftp://influx",
                org: t.orgName,
                bucket: "b",
                token: t.token,
            }),
        /ExternalInfluxDB "influxdb" managementUrl: "ftp:\/\/influx"/,
        /is not an http\(s\) URL/,
    ),
    comp(
        "ExternalInfluxDB token",
        '"" (empty)',
        (t) => new ExternalInfluxDB("influxdb", { url: t.url, org: t.orgName, bucket: "b", token: "" }),
        /ExternalInfluxDB "influxdb" token: operator token/,
        /must be a non-empty string/,
    ),
    comp(
        "ExternalInfluxDB org",
        '"" (missing)',
        (t) => new ExternalInfluxDB("influxdb", { url: t.url, org: "", bucket: "b", token: t.token }),
        /ExternalInfluxDB "influxdb" org: organization/,
        /must be a non-empty string/,
    ),
    comp(
        "ExternalInfluxDB token / tokenFromExistingSecret",
        "neither",
        (t) => new ExternalInfluxDB("influxdb", { url: t.url, org: t.orgName, bucket: "b" }),
        /ExternalInfluxDB "influxdb": set exactly one of token .* and tokenFromExistingSecret/,
        /a secret config value/,
    ),
    comp(
        "DockerInfluxDB port",
        "0",
        () => new DockerInfluxDB("influxdb", { port: 0 }),
        /DockerInfluxDB "influxdb" port: port/,
        /between 1 and 65535, got 0/,
    ),
    comp(
        "DockerInfluxDB image",
        '"influxdb:latest"',
        () => new DockerInfluxDB("influxdb", { image: "influxdb:latest" }),
        /DockerInfluxDB "influxdb" image \("influxdb:latest"\): image tag "latest" is InfluxDB 3/,
        /Pin a 2\.x tag, e\.g\. 2\.7\.\d+/,
    ),
    comp(
        "DockerInfluxDB image",
        '"influxdb" (no tag = latest)',
        () => new DockerInfluxDB("influxdb", { image: "influxdb" }),
        /DockerInfluxDB "influxdb" image: image "influxdb" has no tag/,
        /pin an InfluxDB 2\.x tag, e\.g\. influxdb:2\.7\.\d+/,
    ),
    comp(
        "DockerInfluxDB retention",
        '"60s"',
        () => new DockerInfluxDB("influxdb", { retention: "60s" }),
        /DockerInfluxDB "influxdb" retention: retention "60s"/,
        /below InfluxDB's minimum of 1h; use 1h or more, or 0s/,
    ),
    comp(
        "KubernetesInfluxDB extraValues",
        "unknown Helm key",
        () => new KubernetesInfluxDB("influxdb", { extraValues: { servise: { type: "NodePort" } } }),
        /KubernetesInfluxDB "influxdb" extraValues: unknown Helm chart value "servise"/,
        /did you mean "service"\?.*Fix the key or remove it/,
    ),
    comp(
        "KubernetesInfluxDB image.tag",
        '"latest"',
        () => new KubernetesInfluxDB("influxdb", { image: { tag: "latest" } }),
        /KubernetesInfluxDB "influxdb" image\.tag.*"latest" is InfluxDB 3/,
        /Pin a 2\.x tag/,
    ),
    comp(
        "DockerFlagsmith apiPort",
        "70000",
        () =>
            new DockerFlagsmith("flagsmith", {
                influxEnv: {
                    INFLUXDB_URL: pulumi.output("http://influxdb:8086"),
                    INFLUXDB_TOKEN: pulumi.secret("flagsmith-token-value"),
                    INFLUXDB_ORG: pulumi.output("influxdata"),
                    INFLUXDB_BUCKET: pulumi.output("default"),
                },
                network: "influxdb-test-network",
                apiPort: 70000,
            }),
        /DockerFlagsmith: apiPort/,
        /must be an integer in 1\.\.65535, got 70000/,
    ),

    // ---- resource arguments, through the real provider host (Check) ----------------------------------------------
    res(
        "Bucket",
        "retentionSeconds",
        "60",
        () => ({ retentionSeconds: 60 }),
        /retentionSeconds 60/,
        /below InfluxDB's minimum of 3600 \(1h\); use 0 for infinite or at least 3600/,
    ),
    res(
        "Bucket",
        "shardGroupDurationSeconds",
        "86400 over a 7200 s retention",
        () => ({ retentionSeconds: 7200, shardGroupDurationSeconds: DAY }),
        /shardGroupDurationSeconds 86400 is larger than retentionSeconds 7200/,
        /make it at most the retention/,
    ),
    res("Bucket", "name", '"_x" (leading _)', () => ({ name: "_x" }), /bucket name "_x"/, /must not start with `_`/),
    res("Bucket", "name", '"a\\"b" (quote)', () => ({ name: 'a"b' }), /bucket name "a\\"b"/, /double quote/),
    res("Bucket", "name", '"" (empty)', () => ({ name: "" }), /bucket name ""/, /must be a non-empty string/),
    res(
        "Bucket",
        "name",
        "256 characters",
        () => ({ name: "n".repeat(256) }),
        /bucket name "n{256}"/,
        /too long \(256 characters; at most 255\)/,
    ),
    res(
        "Bucket",
        "orgId",
        '"acme" (a name, not an ID)',
        () => ({ orgId: "acme" }),
        /orgId must be/,
        /an InfluxDB ID \(16 hex characters\); got "acme"/,
    ),
    res(
        "Bucket",
        "connection.url",
        '"localhost:8086" (no scheme)',
        (t) => ({ connection: { url: "localhost:8086", token: t.token } }),
        /connection\.url must be/,
        /an http\(s\) URL such as http:\/\/localhost:8086; got "localhost:8086"/,
    ),
    res(
        "Bucket",
        "connection.token",
        '"" (empty)',
        (t) => ({ connection: { url: t.url, token: "" } }),
        /connection\.token is empty/,
        /pass the InfluxDB API token \(as a Pulumi secret\)/,
    ),
    res(
        "Task",
        "flux",
        "unknown function rang()",
        () => ({ flux: flux(GOOD_HEADER).replace("range(", "rang(") }),
        /Flux error \(task "t"\) at line \d+, column \d+/,
        /undefined identifier rang/,
    ),
    res(
        "Task",
        "flux",
        "both every and cron",
        () => ({ flux: flux('option task = {name: "t", every: 1h, cron: "0 * * * *"}') }),
        /option task:/,
        /sets both `every` and `cron`; use exactly one/,
    ),
    res(
        "Task",
        "flux",
        "a non-literal option task",
        () => ({ flux: flux('e = 1h\noption task = {name: "t", every: e}') }),
        /option task: `every`/,
        /must be a duration literal such as 15m/,
    ),
    res(
        "Task",
        "flux",
        "no option task",
        () => ({ flux: FLUX_BODY }),
        /option task:/,
        /no `option task = \{\.\.\.\}` statement found/,
    ),
    res("Task", "status", '"paused"', () => ({ status: "paused" }), /status must be/, /"active" or "inactive"/),
    res(
        "Task",
        "connection.token",
        '" " (blank)',
        (t) => ({ connection: { url: t.url, token: " " } }),
        /connection\.token is empty/,
        /pass the InfluxDB API token/,
    ),
    res(
        "Authorization",
        "permissions[0].resource.type",
        '"bucket" (unknown permission type)',
        () => ({ permissions: [{ action: "read", resource: { type: "bucket" } }] }),
        /permissions\[0\]\.resource\.type "bucket"/,
        /is not an InfluxDB resource type; use one of authorizations, buckets/,
    ),
    res(
        "Authorization",
        "permissions[0].action",
        '"admin" (unknown permission action)',
        () => ({ permissions: [{ action: "admin", resource: { type: "buckets" } }] }),
        /permissions\[0\]\.action/,
        /must be "read" or "write"; got "admin"/,
    ),
    res(
        "Authorization",
        "permissions",
        "[] (none)",
        () => ({ permissions: [] }),
        /permissions must be/,
        /a non-empty list/,
    ),
    res(
        "Organization",
        "name",
        '"" (empty)',
        () => ({ name: "" }),
        /name must be/,
        /the non-empty name of an existing organization/,
    ),
];

// ---------------------------------------------------------------------------------------------------------------------

/** A custom resource registration that reached the (mock) engine. */
interface Registration {
    readonly type: string;
    readonly name: string;
    readonly rawInputs: Record<string, unknown>;
}

const program = (): Promise<unknown> => (require("../../index") as () => Promise<unknown>)();
const urnOf = (type: string, name: string) => `urn:pulumi:test::flagsmith-influxdb::${type}::${name}`;

/** programMocks, plus a record of every custom resource registered (or read) during the run. */
function recordingMocks(into: Registration[]): Pick<RunOptions, "mocks" | "defaultMock"> {
    const record = (a: MockArgs) => into.push({ type: a.type, name: a.name, rawInputs: a.rawInputs });
    const mocks: Record<string, MockOutputs> = {};
    for (const [type, mock] of Object.entries(programMocks())) {
        mocks[type] = async (a: MockArgs) => {
            record(a);
            return typeof mock === "function" ? mock(a) : a.preview ? undefined : mock;
        };
    }
    return { mocks, defaultMock: (a) => void record(a) };
}

/** Runs a program under mocks; the error it failed with (undefined if it did not) and what it registered. */
async function attempt(
    run: () => unknown,
    options: RunOptions,
): Promise<{ error: unknown; registered: Registration[] }> {
    const registered: Registration[] = [];
    try {
        await runProgram(run, { ...options, ...recordingMocks(registered) });
        return { error: undefined, registered };
    } catch (error) {
        return { error, registered };
    }
}

describe("bad input is rejected before any write, naming the setting and the fix", function () {
    this.timeout(120_000);
    let standIn: InfluxStandIn;
    let target: Target;
    let host: ProviderHost;
    /** Valid serialized inputs per resource type, connected to the stand-in. */
    const valid: Partial<Record<ResourceType, Props>> = {};

    /** Sends what reached the engine through the real providers against the stand-in, as `pulumi up`/`preview` would. */
    async function replay(registered: readonly Registration[], preview: boolean): Promise<void> {
        const engine = new Engine(host);
        for (const r of registered.filter((x) => x.type.startsWith(DYNAMIC))) {
            const urn = urnOf(r.type, r.name);
            await (preview ? engine.preview(urn, r.rawInputs) : engine.up(urn, r.rawInputs)).catch(() => undefined);
        }
    }

    before(async function () {
        standIn = await InfluxStandIn.start();
        target = standInTarget(standIn);
        const connection = { url: target.url, token: pulumi.secret(target.token), operationTimeoutSeconds: 10 };
        const run = await runProgram(() => {
            new Bucket("b", { connection, orgId: target.orgId, name: "good" });
            new Task("t", { connection, orgId: target.orgId, flux: flux(GOOD_HEADER) });
            new Authorization("a", {
                connection,
                orgId: target.orgId,
                description: "good",
                permissions: [{ action: "read", resource: { type: "buckets" } }],
            });
            new Organization("o", { connection, name: target.orgName });
        });
        for (const r of run.resources) {
            valid[r.type.slice(DYNAMIC.length) as ResourceType] = r.rawInputs;
        }
        host = await ProviderHost.start();
    });
    beforeEach(() => standIn.resetCounts());
    after(async () => {
        await host?.stop();
        await standIn?.stop();
    });

    it("has at least 25 rows, covering stack config, component and resource arguments", function () {
        const by = (where: Row["where"]) => BAD_INPUT.filter((r) => r.where === where).length;
        assert.ok(BAD_INPUT.length >= 25, `${BAD_INPUT.length} rows`);
        assert.ok(by("stack config") >= 10 && by("component args") >= 5 && by("resource args") >= 10);
    });

    describe("controls: the write detectors see writes", function () {
        it("a valid external stack registers InfluxDB resources whose replay reaches the stand-in", async function () {
            for (const preview of [false, true]) {
                standIn.resetCounts();
                const { error, registered } = await attempt(program, {
                    config: external(target),
                    secretConfig: externalToken(target),
                    preview,
                });
                assert.strictEqual(error, undefined, String(error));
                assert.ok(registered.some((r) => r.type === `${DYNAMIC}Organization`));
                await replay(registered, preview);
                const requests = Object.keys(standIn.requestCounts()).length;
                // A preview is Check + Diff only: offline even for valid input.
                assert.ok(preview ? requests === 0 : requests > 0, JSON.stringify(standIn.requestCounts()));
            }
        });

        it("valid resource inputs pass Check and reach the stand-in on up", async function () {
            const engine = new Engine(host);
            assert.strictEqual(await engine.preview(urnOf(`${DYNAMIC}Bucket`, "control"), valid.Bucket!), "create");
            assert.deepStrictEqual(standIn.requestCounts(), {});
            await engine.up(urnOf(`${DYNAMIC}Bucket`, "control"), valid.Bucket!);
            assert.ok((standIn.requestCounts()["POST /api/v2/buckets"] ?? 0) > 0);
            await engine.destroy(urnOf(`${DYNAMIC}Bucket`, "control"));
        });
    });

    for (const row of BAD_INPUT) {
        it(`${row.where}: ${row.setting} = ${row.bad}`, async function () {
            if (row.where === "resource args") {
                await checkResourceRow(row);
            } else {
                await checkProgramRow(row);
            }
            assert.deepStrictEqual(standIn.requestCounts(), {}, "requests reached the stand-in");
        });
    }

    function assertMessage(row: Row, message: string): void {
        assert.match(message, row.field, `the message does not name ${row.setting}:\n${message}`);
        assert.match(message, row.fix, `the message does not say the fix for ${row.setting}:\n${message}`);
    }

    /**
     * One error (the mocks keep each distinct message once and aggregate several), of a type Pulumi prints without
     * its stack trace: RunError, or ResourceError with hideStack.
     */
    function assertShownOnceWithoutStack(row: Row, error: Error): void {
        assert.ok(!(error instanceof AggregateError), `${row.setting}: reported several times: ${error.message}`);
        const shown = howReported(error);
        assert.ok(shown.withoutStack, `${row.setting}: a plain ${error.name} is printed with its stack trace`);
    }

    async function checkProgramRow(row: ConfigRow | ComponentRow): Promise<void> {
        for (const preview of [true, false]) {
            const mode = preview ? "preview" : "up";
            const { error, registered } =
                row.where === "stack config"
                    ? await attempt(program, {
                          config: { platform: "docker", ...row.config(target) },
                          secretConfig: row.secretConfig?.(target),
                          preview,
                      })
                    : await attempt(() => row.build(target), { preview });
            assert.ok(error instanceof Error, `${mode}: accepted (${registered.length} registrations)`);
            assertMessage(row, error.message);
            assertShownOnceWithoutStack(row, error);
            const influx = registered.filter((r) => r.type.startsWith(DYNAMIC)).map((r) => `${r.type} ${r.name}`);
            assert.deepStrictEqual(influx, [], `${mode}: InfluxDB resources reached the engine`);
            if (row.where === "stack config") {
                const any = registered.map((r) => `${r.type} ${r.name}`);
                assert.deepStrictEqual(any, [], `${mode}: resources reached the engine before the config was rejected`);
            }
            await replay(registered, preview);
        }
    }

    async function checkResourceRow(row: ResourceRow): Promise<void> {
        const inputs = { ...valid[row.type]!, ...row.patch(target) };
        for (const preview of [true, false]) {
            const engine = new Engine(host);
            const urn = urnOf(`${DYNAMIC}${row.type}`, `bad-${row.property}`);
            const err = await (preview ? engine.preview(urn, inputs) : engine.up(urn, inputs)).then(
                (op) => new Error(`accepted (${String(op)})`),
                (e: unknown) => e,
            );
            assert.ok(err instanceof CheckFailedError, `${preview ? "preview" : "up"}: ${String(err)}`);
            const failure = err.failures.find((f) => f.property === row.property);
            assert.ok(failure, `no failure names ${row.property}: ${JSON.stringify(err.failures)}`);
            assertMessage(row, failure.reason);
            assert.deepStrictEqual(
                engine.log.map((c) => c.method),
                ["Configure", "Check"],
            );
        }
    }
});
