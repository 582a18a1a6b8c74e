/**
 * The `platform` and `influxdb` stack settings, read and validated into the typed settings of one InfluxDB
 * implementation (built by components/influxdb.ts `createInfluxDB`). One interface ({@link InfluxConnection}), three
 * implementations: a Docker container, the influxdb2 Helm chart on Kubernetes, or an external server.
 *
 * Stack config (`Pulumi.<stack>.yaml`), everything but `platform` optional:
 *
 *     config:
 *       flagsmith-influxdb:platform: docker          # docker | kubernetes | external
 *       flagsmith-influxdb:influxdb:                 # settings of that platform, see the *Args interfaces
 *         port: 8087                                 # docker: second stack on the same Docker host
 *         org: flagsmith
 *         retention: 30d
 *         protectData: true                          # long-lived stacks
 *       flagsmith-influxdb:influxdbAdminToken:       # optional, docker/kubernetes: default generated
 *         secure: ...                                #   pulumi config set --secret influxdbAdminToken ...
 *       flagsmith-influxdb:influxdbAdminPassword:    # optional, docker/kubernetes: default generated
 *         secure: ...
 *       flagsmith-influxdb:influxdbToken:            # external: the operator token (or tokenFromExistingSecret)
 *         secure: ...
 */
import * as pulumi from "@pulumi/pulumi";
import { settingError } from "../errors";
import type { DockerInfluxDBArgs } from "../influxdb-docker";
import type { ExternalInfluxDBArgs } from "../influxdb-external";
import type { KubernetesInfluxDBArgs } from "../influxdb-kubernetes";
import { Check, dropUndefined, SettingsReader } from "./reader";
import {
    checkBindAddress,
    checkDnsLabel,
    checkHttpUrl,
    checkInflux2Image,
    checkInflux2Tag,
    checkNonEmpty,
    checkPort,
    checkQuantity,
    parseRetention,
} from "./validators";

/** Config namespace of this project. */
export const CONFIG_NAMESPACE = "flagsmith-influxdb";

/** Where InfluxDB runs. */
export type InfluxPlatform = "docker" | "kubernetes" | "external";
export const INFLUX_PLATFORMS: readonly InfluxPlatform[] = ["docker", "kubernetes", "external"];

/** Settings of a Docker deployment. */
export interface DockerInfluxSettings extends DockerInfluxDBArgs {
    readonly platform: "docker";
}

/** Settings of a Kubernetes deployment. */
export interface KubernetesInfluxSettings extends KubernetesInfluxDBArgs {
    readonly platform: "kubernetes";
}

/** Settings of an external server. */
export interface ExternalInfluxSettings extends ExternalInfluxDBArgs {
    readonly platform: "external";
}

/** Validated settings, discriminated by `platform`. */
export type InfluxSettings = DockerInfluxSettings | KubernetesInfluxSettings | ExternalInfluxSettings;

/** Invalid settings: the message lists every problem with the setting's name and the fix. Pulumi prints it alone. */
export class InfluxSettingsError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid InfluxDB settings (stack config ${CONFIG_NAMESPACE}:platform / ${CONFIG_NAMESPACE}:influxdb):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "InfluxSettingsError";
    }
}

/** Secret settings and the config keys they are read from (refused inside the `influxdb` object). */
export const SECRET_KEYS = {
    adminPassword: "influxdbAdminPassword",
    adminToken: "influxdbAdminToken",
    token: "influxdbToken",
} as const;

const COMMON_DEPLOYED = [
    "org",
    "bucket",
    "retention",
    "username",
    "adminPassword",
    "adminToken",
    "protectData",
    "retainDataOnDelete",
];
/** Keys of the settings per platform (README.md's settings table is checked against these and OBJECT_KEYS). */
export const ALLOWED_KEYS: Record<InfluxPlatform, readonly string[]> = {
    docker: [...COMMON_DEPLOYED, "image", "port", "bindAddress", "host", "network", "waitTimeout"],
    kubernetes: [
        ...COMMON_DEPLOYED,
        "namespace",
        "releaseName",
        "nameOverride",
        "image",
        "persistence",
        "resources",
        "nodeSelector",
        "tolerations",
        "affinity",
        "extraValues",
        "chartValuesFile",
        "managementUrl",
        "timeout",
    ],
    external: ["url", "managementUrl", "org", "bucket", "token", "tokenFromExistingSecret"],
};
/** Keys inside the object-valued settings, per platform. */
export const OBJECT_KEYS: Partial<Record<InfluxPlatform, Readonly<Record<string, readonly string[]>>>> = {
    kubernetes: {
        image: ["repository", "tag", "pullPolicy", "pullSecrets"],
        persistence: ["enabled", "size", "storageClass"],
    },
    external: { tokenFromExistingSecret: ["name", "key", "namespace"] },
};

/**
 * Validate raw settings (`{ platform, ...settings }`, as from {@link influxSettingsFromConfig} or a test) and return
 * them typed. Pure. Throws an {@link InfluxSettingsError} naming each bad setting and its fix: unknown platform or
 * key, port out of range, empty organization or bucket, retention below 1h, image that is not InfluxDB 2.x, ...
 * Secret settings may be strings or Outputs; they come back as secret Outputs.
 */
export function parseInfluxSettings(raw: unknown): InfluxSettings {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw new InfluxSettingsError([`settings must be an object with a platform, got ${JSON.stringify(raw)}.`]);
    }
    const input = raw as Record<string, unknown>;
    const platform = input.platform;
    if (typeof platform !== "string" || !INFLUX_PLATFORMS.includes(platform as InfluxPlatform)) {
        throw new InfluxSettingsError([
            `platform: unknown platform ${JSON.stringify(platform)}; use one of ${INFLUX_PLATFORMS.join(", ")}. ` +
                `Fix: pulumi config set platform docker`,
        ]);
    }
    const p = new SettingsReader(input, "influxdb");
    for (const key of Object.keys(input)) {
        if (key !== "platform" && !ALLOWED_KEYS[platform as InfluxPlatform].includes(key)) {
            // A secret comes from its own top-level key, which is what must be removed.
            const secretKey = SECRET_KEYS[key as keyof typeof SECRET_KEYS];
            const rm = secretKey ? `pulumi config rm ${secretKey}` : `pulumi config rm --path influxdb.${key}`;
            p.add(
                `influxdb.${key}: unknown setting for platform ${platform}` +
                    `${secretKey ? ` (set as the secret ${secretKey})` : ""}; known: ` +
                    `${ALLOWED_KEYS[platform as InfluxPlatform].join(", ")}. Fix: ${rm}`,
            );
        }
    }
    let settings: InfluxSettings;
    switch (platform as InfluxPlatform) {
        case "docker":
            settings = {
                platform: "docker",
                ...deployedCommon(p),
                image: p.string("image", (v, s) => checkInflux2Image(v, s)),
                port: p.number("port", (v, s) => checkPort(v, s)),
                bindAddress: p.string("bindAddress", (v, s) => checkBindAddress(v, s)),
                host: p.string("host"),
                network: p.string("network"),
                waitTimeout: p.number("waitTimeout", positive),
            };
            break;
        case "kubernetes": {
            const image = p.object("image", OBJECT_KEYS.kubernetes?.image);
            const persistence = p.object("persistence", OBJECT_KEYS.kubernetes?.persistence);
            settings = {
                platform: "kubernetes",
                ...deployedCommon(p),
                namespace: p.string("namespace", dnsLabel(63)),
                releaseName: p.string("releaseName", dnsLabel(53)),
                nameOverride: p.string("nameOverride"),
                image: image && {
                    repository: p.string("image.repository"),
                    tag: p.string("image.tag", (v, s) => checkInflux2Tag(v, s)),
                    pullPolicy: p.string("image.pullPolicy", (v, s) => {
                        if (!["Always", "IfNotPresent", "Never"].includes(v)) {
                            throw settingError(`${s}: must be Always, IfNotPresent or Never, got "${v}".`);
                        }
                    }) as "Always" | "IfNotPresent" | "Never" | undefined,
                    pullSecrets: p.stringList("image.pullSecrets"),
                },
                persistence: persistence && {
                    enabled: p.boolean("persistence.enabled"),
                    size: p.string("persistence.size", checkQuantity),
                    storageClass: p.string("persistence.storageClass"),
                },
                resources: p.object("resources") as KubernetesInfluxDBArgs["resources"],
                nodeSelector: p.object("nodeSelector") as KubernetesInfluxDBArgs["nodeSelector"],
                tolerations: p.list("tolerations") as KubernetesInfluxDBArgs["tolerations"],
                affinity: p.object("affinity") as KubernetesInfluxDBArgs["affinity"],
                extraValues: p.object("extraValues"),
                chartValuesFile: p.string("chartValuesFile"),
                managementUrl: p.string("managementUrl", (v, s) => checkHttpUrl(v, s)),
                timeout: p.number("timeout", positive),
            };
            break;
        }
        case "external": {
            const url = p.string("url", (v, s) => checkHttpUrl(v, s), true);
            const org = p.string("org", (v, s) => checkNonEmpty(v, s, "organization"), true);
            const bucket = p.string("bucket", (v, s) => checkNonEmpty(v, s, "bucket"), true);
            const ref = p.object("tokenFromExistingSecret", OBJECT_KEYS.external?.tokenFromExistingSecret);
            const token = p.secret("token", SECRET_KEYS.token, nonEmpty);
            if ((token === undefined) === (ref === undefined)) {
                p.add(
                    `influxdb.token: set exactly one of the secret config ${SECRET_KEYS.token} ` +
                        `(pulumi config set --secret ${SECRET_KEYS.token} <token>) and influxdb.tokenFromExistingSecret ` +
                        `({ name, key, namespace } of a Kubernetes Secret).`,
                );
            }
            settings = {
                platform: "external",
                url: url ?? "",
                managementUrl: p.string("managementUrl", (v, s) => checkHttpUrl(v, s)),
                org: org ?? "",
                bucket: bucket ?? "",
                token,
                tokenFromExistingSecret: ref && {
                    name: p.string("tokenFromExistingSecret.name", nonEmpty, true) ?? "",
                    key: p.string("tokenFromExistingSecret.key", nonEmpty, true) ?? "",
                    namespace: p.string("tokenFromExistingSecret.namespace", nonEmpty, true) ?? "",
                },
            };
            break;
        }
    }
    if (p.problems.length > 0) {
        throw new InfluxSettingsError(p.problems);
    }
    return dropUndefined(settings) as InfluxSettings;
}

/** Settings used when the `influxdb` config object does not set them. */
export interface InfluxSettingsDefaults {
    /** Initial (Docker, Kubernetes) or existing (external) bucket, e.g. the program's top-level `bucket`. */
    readonly bucket?: string;
    /** Organization. */
    readonly org?: string;
}

/**
 * Read the settings from stack config: `platform` (default `docker`), the `influxdb` object over `defaults`, and the
 * secrets `influxdbAdminPassword`, `influxdbAdminToken`, `influxdbToken`; then {@link parseInfluxSettings}.
 */
export function influxSettingsFromConfig(
    config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE),
    defaults: InfluxSettingsDefaults = {},
): InfluxSettings {
    const object = config.getObject<Record<string, unknown>>("influxdb") ?? {};
    const plaintext = Object.entries(SECRET_KEYS).filter(([key]) => key in object);
    if (plaintext.length > 0) {
        throw new InfluxSettingsError(
            plaintext.map(
                ([key, configKey]) =>
                    `influxdb.${key}: secrets must not be in plain config; ` +
                    `pulumi config rm --path influxdb.${key} && pulumi config set --secret ${configKey} <value>`,
            ),
        );
    }
    const raw: Record<string, unknown> = {
        platform: config.get("platform") ?? "docker",
        ...(dropUndefined(defaults) as Record<string, unknown>),
        ...object,
    };
    for (const [key, configKey] of Object.entries(SECRET_KEYS)) {
        // Read as plain text so parseInfluxSettings can check it now (e.g. empty); it hands it on as a secret Output.
        const value = config.get(configKey);
        if (value !== undefined) {
            raw[key] = value;
        }
    }
    return parseInfluxSettings(raw);
}

// ---------------------------------------------------------------------------------------------------------------------

const positive: Check<number> = (v, s) => {
    if (!Number.isInteger(v) || v <= 0) {
        throw settingError(`${s}: must be a positive whole number of seconds, got ${v}.`);
    }
};

const nonEmpty: Check<string> = (v, s) => checkNonEmpty(v, s, "value");

function dnsLabel(max: number): Check<string> {
    return (v, s) => checkDnsLabel(v, s, max);
}

/** Settings shared by the Docker and Kubernetes deployments. */
function deployedCommon(p: SettingsReader) {
    return {
        org: p.string("org", (v, s) => checkNonEmpty(v, s, "organization")),
        bucket: p.string("bucket", (v, s) => checkNonEmpty(v, s, "bucket")),
        retention: p.string("retention", (v, s) => {
            parseRetention(v, s);
        }),
        username: p.string("username", (v, s) => checkNonEmpty(v, s, "user")),
        adminPassword: p.secret("adminPassword", SECRET_KEYS.adminPassword, (v, s) => {
            if (v.length < 8) {
                throw settingError(`${s}: InfluxDB needs a password of at least 8 characters.`);
            }
        }),
        adminToken: p.secret("adminToken", SECRET_KEYS.adminToken, nonEmpty),
        protectData: p.boolean("protectData"),
        retainDataOnDelete: p.boolean("retainDataOnDelete"),
    };
}
