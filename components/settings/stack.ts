// Typed, validated stack config for the program. Every problem names the config key and the fix.
import * as pulumi from "@pulumi/pulumi";
import { AnalyticsRetention, DEFAULT_RETENTION, TaskOverride, TaskSettings } from "../analytics";
import { validateChartValues } from "../chart-values";
import { DownsamplingTask } from "../downsampling";
import { settingError } from "../errors";
import {
    DEFAULT_API_PORT,
    DEFAULT_FLAGSMITH_IMAGE,
    extraEnvNameProblem,
    pinnedImageProblem,
} from "../flagsmith-docker";
import {
    assertNoManagedValues,
    FLAGSMITH_CHART_KEYS_FILE,
    FLAGSMITH_FREE_FORM_VALUES,
    FlagsmithExternalDatabase,
} from "../flagsmith-kubernetes";
import { INFLUXDB_CONTAINER_PORT } from "../influxdb-docker";
import {
    ALLOWED_KEYS as INFLUX_KEYS,
    CONFIG_NAMESPACE,
    INFLUX_PLATFORMS,
    InfluxPlatform,
    InfluxSettings,
    influxSettingsFromConfig,
    OBJECT_KEYS as INFLUX_OBJECT_KEYS,
    SECRET_KEYS as INFLUX_SECRET_KEYS,
} from "./influxdb";
import { isRecord, SettingsReader } from "./reader";
import {
    booleanSettingProblem,
    checkBindAddress,
    checkPort,
    parseRetention,
    shellWord,
    yamlTextProblem,
} from "./validators";
import { bucketNameProblem } from "../../dynamic-providers/influx-rules";

/** Where Flagsmith runs, or `none` when it is deployed elsewhere (the stack only exports the variables). */
export type FlagsmithPlatform = "docker" | "kubernetes" | "none";

/** Flagsmith settings (`flagsmith` config object). */
export interface FlagsmithSettings {
    readonly platform: FlagsmithPlatform;
    /** Flagsmith image (pinned tag). Default: the component's pinned default. */
    readonly image?: string;
    /** Docker: published API port. Default 8000. */
    readonly apiPort?: number;
    /** Docker: host address the API port is bound to. Default `127.0.0.1`. */
    readonly bindAddress?: string;
    /** Docker: more environment variables for the API and task processor (not INFLUXDB_* or DATABASE_URL). */
    readonly extraEnv?: Record<string, string>;
    /** Docker: DJANGO_ALLOWED_HOSTS entries. Default `*`. */
    readonly allowedHosts?: string[];
    /** Kubernetes: existing namespace. Default: `flagsmith-<stack>`. */
    readonly namespace?: string;
    /** Kubernetes: external Postgres instead of the chart's dev Postgres. */
    readonly database?: FlagsmithExternalDatabase;
    /** Kubernetes: extra chart values, checked against the chart's values file. */
    readonly extraValues?: Record<string, unknown>;
    /** Docker: protect Flagsmith's Postgres data volume (`protect`); set it on long-lived stacks. Default false. */
    readonly protectData?: boolean;
}

/** Everything the program needs, validated. */
export interface StackSettings {
    readonly influx: InfluxSettings;
    /** Raw bucket; Flagsmith derives `_downsampled_15m` and `_downsampled_1h` from it. */
    readonly bucket: string;
    readonly retention: AnalyticsRetention;
    /** The retentions the stack config sets (`retention.*`): an adopted bucket keeps its own for the others. */
    readonly retentionSet: Partial<AnalyticsRetention>;
    readonly tasks: TaskSettings;
    readonly adopt: boolean;
    /** Backfill range (Flux duration) when `backfill.enabled`; undefined when disabled. */
    readonly backfillRange?: string;
    readonly flagsmith: FlagsmithSettings;
    /** Problems that do not stop the deployment (a secret in plain text), for `pulumi.log.warn`. */
    readonly warnings: readonly string[];
}

/** Invalid stack config: every problem, each naming its key and the fix. A RunError: Pulumi prints the message only. */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "StackConfigError";
    }
}

const TOP_KEYS = ["platform", "influxdb", "bucket", "retention", "tasks", "adopt", "backfill", "flagsmith"];
/** Secret settings, top-level keys set with `pulumi config set --secret`. */
const SECRET_CONFIG_KEYS = [...Object.values(INFLUX_SECRET_KEYS), "flagsmithDatabasePassword"];
/** `retention.<key>` and the AnalyticsRetention field it sets. */
const RETENTION_KEYS = {
    raw: "rawSeconds",
    downsampled15m: "downsampled15mSeconds",
    downsampled1h: "downsampled1hSeconds",
} as const;
const TASKS_KEYS = ["overrides", "extra"];
const TASK_OVERRIDE_KEYS = ["every", "offset", "status", "remove"];
const BACKFILL_KEYS = ["enabled", "range"];
const FLAGSMITH_KEYS = [
    "enabled",
    "platform",
    "image",
    "apiPort",
    "bindAddress",
    "allowedHosts",
    "extraEnv",
    "namespace",
    "database",
    "extraValues",
    "protectData",
];

/** `flagsmith.*` keys that only one Flagsmith platform uses, and the hint given when set on the other. */
const FLAGSMITH_PLATFORM_ONLY: Readonly<Record<string, { platform: "docker" | "kubernetes"; hint: string }>> = {
    image: {
        platform: "docker",
        hint: 'on kubernetes set the chart\'s image: flagsmith.extraValues: { api: { image: { tag: "..." } } }',
    },
    apiPort: { platform: "docker", hint: "on kubernetes the chart's Service is reached through your ingress" },
    bindAddress: { platform: "docker", hint: "on kubernetes the chart's Service is reached through your ingress" },
    extraEnv: {
        platform: "docker",
        hint: "on kubernetes set flagsmith.extraValues: { api: { extraEnv: {...} }, taskProcessor: { extraEnv: {...} } }",
    },
    allowedHosts: { platform: "docker", hint: "on kubernetes set it through flagsmith.extraValues (api.extraEnv)" },
    protectData: { platform: "docker", hint: "on kubernetes the database is the chart's or flagsmith.database" },
    namespace: { platform: "kubernetes", hint: "remove it" },
    database: { platform: "kubernetes", hint: "on docker the program runs its own Postgres" },
    extraValues: { platform: "kubernetes", hint: "remove it" },
};

/** Reads a duration setting (`retention.*`: `0s` is infinite; `backfill.range`) in seconds; a string such as `14d`. */
function durationSetting(infinite: boolean): (value: unknown, setting: string) => number {
    return (value, setting) => {
        if (typeof value !== "string") {
            throw settingError(
                `${setting}: must be a duration string such as "14d"${infinite ? ' or "0s" (infinite)' : ""}`,
            );
        }
        return parseRetention(value, setting);
    };
}

function parseRetentions(raw: unknown, r: SettingsReader, set: Record<string, number> = {}): AnalyticsRetention {
    if (raw === undefined) {
        return DEFAULT_RETENTION;
    }
    if (!isRecord(raw)) {
        r.add("retention: must be an object { raw, downsampled15m, downsampled1h } of durations such as 14d");
        return DEFAULT_RETENTION;
    }
    const out: Record<string, number> = { ...DEFAULT_RETENTION };
    const rr = r.at("retention", raw);
    for (const key of Object.keys(raw)) {
        const field = RETENTION_KEYS[key as keyof typeof RETENTION_KEYS];
        if (!field) {
            r.add(`retention.${key}: unknown; use raw, downsampled15m or downsampled1h`);
            continue;
        }
        const fallback = DEFAULT_RETENTION[field];
        const seconds = rr.value(key, durationSetting(true), fallback === 0 ? "0s" : `${fallback / 86400}d`);
        if (seconds !== undefined) {
            out[field] = seconds;
            set[field] = seconds;
        }
    }
    if (out.downsampled15mSeconds !== 0 && out.downsampled15mSeconds < 180 * 86400) {
        r.add(
            "retention.downsampled15m: Flagsmith's usage views read up to 180 days from the 15m bucket; use at least 180d (or 0s)",
        );
    }
    return out as unknown as AnalyticsRetention;
}

/**
 * Flagsmith's containers on Docker with an external InfluxDB get `influxdb.url` as INFLUXDB_URL: a loopback address
 * there would name each container itself, not the server.
 */
function containerUrlProblem(
    influxdb: Record<string, unknown>,
    influxPlatform: string,
    flagsmith: FlagsmithSettings | undefined,
): string | undefined {
    if (influxPlatform !== "external" || flagsmith?.platform !== "docker") return undefined;
    const url = influxdb.url;
    let host = "";
    try {
        host = new URL(String(url)).hostname;
    } catch {
        return undefined; // the InfluxDB settings report a malformed URL
    }
    if (!/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(host)) return undefined;
    return (
        `influxdb.url: ${JSON.stringify(url)} is what Flagsmith's containers get as INFLUXDB_URL, and inside a ` +
        "container a loopback address is the container itself. Give an address the containers reach (the host's IP, " +
        "or host.docker.internal where Docker provides it) and keep the loopback one for Pulumi in " +
        "influxdb.managementUrl"
    );
}

/**
 * Without persistence, every restart of the InfluxDB pod is a new first boot: an empty server behind the same URL,
 * while the stack's state still holds the buckets, tasks and Flagsmith's token it had.
 */
export function ephemeralInfluxWarnings(influx: InfluxSettings): string[] {
    if (influx.platform !== "kubernetes" || influx.persistence?.enabled !== false) return [];
    return [
        "influxdb.persistence.enabled is false: each restart of the InfluxDB pod starts an empty server (a new first " +
            "boot) without the buckets, tasks and Flagsmith's token this stack made; the next `pulumi up` notices the new " +
            "server and recreates them, but the points written before are gone. Keep it false only for throwaway stacks.",
    ];
}

/** InfluxDB Cloud (TSM) regions are served under this domain (e.g. `us-east-1-1.aws.cloud2.influxdata.com`). */
const CLOUD_HOST = /(^|\.)cloud2\.influxdata\.com$/i;

/**
 * On InfluxDB Cloud, what its Free plan cannot hold: 2 buckets besides `_monitoring` and `_tasks`, 5 tasks, 30 days of
 * retention (docs.influxdata.com/influxdb/cloud/account-management/limits/). The plan is not known offline, so the
 * preview says what this stack needs; a create the quota stops fails with "would exceed quota" and the way out.
 */
export function cloudPlanWarnings(influx: InfluxSettings, retention: AnalyticsRetention): string[] {
    if (influx.platform !== "external" || typeof influx.url !== "string") return [];
    let host: string;
    try {
        host = new URL(influx.url).hostname;
    } catch {
        return [];
    }
    if (!CLOUD_HOST.test(host)) return [];
    const month = 30 * 86400;
    const long = Object.entries(retention)
        .filter(([, seconds]) => seconds === 0 || seconds > month)
        .map(
            ([field, seconds]) =>
                `retention.${field.replace(/Seconds$/, "")} ${seconds === 0 ? "infinite" : `${seconds / 86400}d`}`,
        );
    return [
        `influxdb.url is InfluxDB Cloud (${host}): this stack needs 3 buckets and 4 tasks of its own` +
            (long.length > 0 ? ` and keeps data longer than 30 days (${long.join(", ")})` : "") +
            ". Cloud's Free plan allows 2 buckets, 5 tasks and 30 days, so on that plan `pulumi up` stops with " +
            '"would exceed quota": use the Usage-Based plan. Shard-group durations are Cloud\'s own there.',
    ];
}

/** The names a chart writes into an environment unquoted must read as text (see yamlTextProblem). */
function chartTextProblems(
    influxdb: Record<string, unknown>,
    influxPlatform: string,
    flagsmith: FlagsmithSettings | undefined,
    bucket: string,
): string[] {
    const names: [string, unknown][] = [];
    if (influxPlatform === "kubernetes") {
        names.push(
            ["influxdb.org", influxdb.org],
            ["influxdb.bucket", influxdb.bucket],
            ["influxdb.username", influxdb.username],
        );
    }
    if (flagsmith?.platform === "kubernetes") {
        names.push(["influxdb.org", influxdb.org], ["bucket", bucket]);
    }
    const seen = new Set<string>();
    return names.flatMap(([key, value]) => {
        if (typeof value !== "string" || seen.has(key)) return [];
        seen.add(key);
        const problem = yamlTextProblem(value);
        return problem ? [`${key}: ${problem}`] : [];
    });
}

function parseTasks(raw: unknown, r: SettingsReader): TaskSettings {
    if (raw === undefined) {
        return {};
    }
    if (!isRecord(raw)) {
        r.add("tasks: must be an object { overrides, extra }");
        return {};
    }
    for (const key of Object.keys(raw)) {
        if (!TASKS_KEYS.includes(key)) {
            r.add(`tasks.${key}: unknown; use tasks.overrides (by task name) or tasks.extra (a list)`);
        }
    }
    const overrides = raw.overrides;
    if (overrides !== undefined && !isRecord(overrides)) {
        r.add("tasks.overrides: must map task names to { every, offset, status, remove }");
    }
    for (const [name, o] of Object.entries(isRecord(overrides) ? overrides : {})) {
        if (!isRecord(o) || Object.keys(o).some((k) => !TASK_OVERRIDE_KEYS.includes(k))) {
            r.add(`tasks.overrides["${name}"]: allowed keys are every, offset, status, remove`);
        } else {
            // A quoted "false" would be truthy and remove the task.
            r.add(booleanSettingProblem(o.remove, `tasks.overrides["${name}"].remove`));
        }
    }
    const extra = raw.extra;
    if (extra !== undefined && !Array.isArray(extra)) {
        r.add("tasks.extra: must be a list of task specs or { name, flux } objects");
    }
    return {
        overrides: isRecord(overrides) ? (overrides as Record<string, TaskOverride>) : undefined,
        extra: Array.isArray(extra) ? (extra as DownsamplingTask[]) : undefined,
    };
}

/** `backfill: { enabled, range }`: the range defaults to the raw bucket's retention (30d when that is infinite). */
function parseBackfill(raw: unknown, retention: AnalyticsRetention, r: SettingsReader): string | undefined {
    if (raw === undefined) {
        return undefined;
    }
    if (!isRecord(raw) || Object.keys(raw).some((k) => !BACKFILL_KEYS.includes(k))) {
        r.add('backfill: must be { enabled: true, range: "14d" } (range optional)');
        return undefined;
    }
    r.add(booleanSettingProblem(raw.enabled, "backfill.enabled"));
    if (raw.enabled !== true) {
        return undefined;
    }
    if (raw.range === undefined) {
        return retention.rawSeconds > 0 ? `${retention.rawSeconds}s` : "30d";
    }
    const seconds = r.at("backfill", raw).value("range", durationSetting(false), "14d");
    if (seconds === 0) {
        r.add('backfill.range: must be a positive duration such as "14d"');
    }
    return seconds ? (raw.range as string) : undefined;
}

/** Throw unless `image` is a pinned Flagsmith image (flagsmith-docker.ts pinnedImageProblem). */
function checkFlagsmithImage(image: unknown, setting: string): void {
    const problem = typeof image === "string" ? pinnedImageProblem(image) : "must be a string";
    if (problem !== undefined) {
        throw settingError(`${setting}: ${problem}.`);
    }
}

/** The two ways out when this stack cannot run Flagsmith on Docker next to InfluxDB. */
const FLAGSMITH_WAYS_OUT =
    "either run Flagsmith on Kubernetes (pulumi config set --path flagsmith.platform kubernetes) or deploy it " +
    "yourself with the exported variables (pulumi config set --path flagsmith.enabled false, then " +
    "pulumi stack output flagsmithEnv --show-secrets)";

/**
 * `flagsmith.extraEnv`: environment variable name to value (numbers and booleans are taken as their text). Names the
 * program sets (INFLUXDB_*, DATABASE_URL, ...) are refused, each naming the key.
 */
function parseExtraEnv(raw: unknown, r: SettingsReader): Record<string, string> | undefined {
    if (raw === undefined) {
        return undefined;
    }
    if (!isRecord(raw)) {
        r.add('flagsmith.extraEnv: must be an object of variable names to values, e.g. { PREVENT_SIGNUP: "true" }');
        return undefined;
    }
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
        const key = `flagsmith.extraEnv.${name}`;
        const nameProblem = extraEnvNameProblem(name);
        if (nameProblem !== undefined) {
            const fix = name === "DJANGO_ALLOWED_HOSTS" ? "set flagsmith.allowedHosts instead" : "remove it";
            r.add(`${key}: extraEnv ${nameProblem}; ${fix}: pulumi config rm --path ${shellWord(key)}`);
        } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
            env[name] = String(value);
        } else {
            r.add(`${key}: must be a string, got ${JSON.stringify(value)}`);
        }
    }
    return env;
}

function parseFlagsmith(
    raw: unknown,
    influxPlatform: InfluxSettings["platform"],
    databasePassword: string | undefined,
    r: SettingsReader,
): FlagsmithSettings {
    const none: FlagsmithSettings = { platform: "none" };
    if (raw !== undefined && !isRecord(raw)) {
        r.add("flagsmith: must be an object, e.g. { enabled: false }");
        return none;
    }
    const f = raw ?? {};
    for (const key of Object.keys(f)) {
        if (!FLAGSMITH_KEYS.includes(key)) {
            r.add(`flagsmith.${key}: unknown setting; known: ${FLAGSMITH_KEYS.join(", ")}`);
        }
    }
    const enabledProblem = booleanSettingProblem(f.enabled, "flagsmith.enabled");
    if (enabledProblem !== undefined || f.enabled === false) {
        // Not a boolean: nothing else about Flagsmith is checked, so this is the only message.
        r.add(enabledProblem);
        return none;
    }
    const platform = f.platform ?? (influxPlatform === "external" ? undefined : influxPlatform);
    if (platform === undefined) {
        r.add(`flagsmith.platform: with an external InfluxDB, say where Flagsmith runs; ${FLAGSMITH_WAYS_OUT}`);
        return none;
    }
    if (platform !== "docker" && platform !== "kubernetes") {
        r.add(`flagsmith.platform: unknown platform ${JSON.stringify(platform)}; use docker or kubernetes`);
        return none;
    }
    if (platform === "docker" && influxPlatform === "kubernetes") {
        // The Kubernetes InfluxDB is reached by its in-cluster name, which no Docker container resolves.
        r.add(
            `flagsmith.platform: Flagsmith on Docker cannot reach an InfluxDB inside the cluster (its URL is an ` +
                `in-cluster name); ${FLAGSMITH_WAYS_OUT}`,
        );
    }
    if (platform === "kubernetes" && influxPlatform === "docker") {
        // The Docker InfluxDB is reached by its network alias (http://influxdb:8086), a name no pod resolves.
        r.add(
            "flagsmith.platform: Flagsmith on Kubernetes cannot reach an InfluxDB on the local Docker engine (its URL " +
                "resolves only on the Docker network); run InfluxDB on Kubernetes too (pulumi config set platform " +
                "kubernetes), or on a server the cluster reaches (platform: external with influxdb.url)",
        );
    }
    for (const [key, only] of Object.entries(FLAGSMITH_PLATFORM_ONLY)) {
        if (f[key] !== undefined && only.platform !== platform) {
            r.add(
                `flagsmith.${key}: only used when Flagsmith runs on ${only.platform}, not on ${platform}; ${only.hint}`,
            );
        }
    }
    const fr = r.at("flagsmith", f);
    const protectData = fr.boolean("protectData");
    const docker = platform === "docker";
    if (docker) {
        fr.value("image", checkFlagsmithImage, DEFAULT_FLAGSMITH_IMAGE);
        fr.value("bindAddress", (v, s) => checkBindAddress(String(v), s), "127.0.0.1");
    }
    const apiPort = fr.number("apiPort", checkPort);
    const extraEnv = docker ? parseExtraEnv(f.extraEnv, r) : undefined;
    if (
        f.allowedHosts !== undefined &&
        (!Array.isArray(f.allowedHosts) || f.allowedHosts.some((h) => typeof h !== "string"))
    ) {
        r.add('flagsmith.allowedHosts: must be a list of host names, e.g. ["flagsmith.example.com"]');
    }
    if (f.extraValues !== undefined && !isRecord(f.extraValues)) {
        r.add("flagsmith.extraValues: must be an object of chart values");
    } else if (platform === "kubernetes" && isRecord(f.extraValues)) {
        // Checked here as well: KubernetesFlagsmith is built only after InfluxDB and the analytics resources.
        const extra = f.extraValues;
        r.attempt(() => {
            try {
                validateChartValues(extra, FLAGSMITH_CHART_KEYS_FILE, { freeForm: FLAGSMITH_FREE_FORM_VALUES });
                assertNoManagedValues(extra);
            } catch (err) {
                throw settingError(`flagsmith.extraValues: ${(err as Error).message}`);
            }
        });
    }
    let database = f.database as FlagsmithExternalDatabase | undefined;
    if (databasePassword !== undefined) {
        // The secret completes flagsmith.database { host, port, database, username }, so no password is in plain config.
        const db = isRecord(f.database) ? f.database : undefined;
        if (platform !== "kubernetes" || !db || "url" in db || "password" in db || databasePassword === "") {
            r.add(
                "flagsmithDatabasePassword: the non-empty password of flagsmith.database { host, port, database, " +
                    "username } for Flagsmith on Kubernetes; not with flagsmith.database.url or .password",
            );
        } else {
            database = { ...(db as FlagsmithExternalDatabase), password: pulumi.secret(databasePassword) };
        }
    }
    return {
        platform,
        image: f.image as string | undefined,
        apiPort,
        bindAddress: f.bindAddress as string | undefined,
        extraEnv,
        allowedHosts: f.allowedHosts as string[] | undefined,
        namespace: f.namespace as string | undefined,
        database,
        extraValues: f.extraValues as Record<string, unknown> | undefined,
        protectData,
    };
}

/**
 * Reads and validates the stack config (`flagsmith-influxdb:*`). Throws one StackConfigError listing every problem.
 * The InfluxDB component's initial bucket defaults to `bucket`, so first-boot setup creates Flagsmith's raw bucket.
 */
export function readStackSettings(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): StackSettings {
    const r = new SettingsReader({});
    const all = pulumi.runtime.allConfig();
    for (const [key, value] of Object.entries(all)) {
        const [ns, name] = key.split(":");
        if (ns === CONFIG_NAMESPACE && !TOP_KEYS.includes(name) && !SECRET_CONFIG_KEYS.includes(name)) {
            r.add(unknownTopLevelKeyProblem(name, isSecretConfig(key) ? undefined : value));
        }
    }
    const bucket = config.get("bucket") ?? "default";
    const bucketProblem = bucketNameProblem(bucket);
    if (bucketProblem) {
        r.add(`bucket: ${JSON.stringify(bucket)} ${bucketProblem}; Fix: pulumi config set bucket default`);
    }
    let influx: InfluxSettings | undefined;
    // An InfluxSettingsError's problems join this list one by one.
    r.attempt(() => {
        influx = influxSettingsFromConfig(config, { bucket });
    });
    const retentionSet: Record<string, number> = {};
    const retention = parseRetentions(config.getObject("retention"), r, retentionSet);
    const tasks = parseTasks(config.getObject("tasks"), r);
    const adoptValue = config.get("adopt");
    if (adoptValue !== undefined && adoptValue !== "true" && adoptValue !== "false") {
        r.add(`adopt: must be true or false, got ${JSON.stringify(adoptValue)}. Fix: pulumi config set adopt true`);
    }
    const adopt = adoptValue === "true";
    const backfillRange = parseBackfill(config.getObject("backfill"), retention, r);
    const flagsmith = parseFlagsmith(
        config.getObject("flagsmith"),
        influx?.platform ?? "docker",
        config.get("flagsmithDatabasePassword"),
        r,
    );
    if (influx !== undefined) {
        r.add(portConflictProblem(influx, flagsmith));
        // The raw `influxdb` object: these checks are about what the user wrote, not the defaults.
        const influxdb = config.getObject<Record<string, unknown>>("influxdb") ?? {};
        r.add(...chartTextProblems(influxdb, influx.platform, flagsmith, bucket));
        r.add(containerUrlProblem(influxdb, influx.platform, flagsmith));
    }
    if (r.problems.length > 0 || influx === undefined) {
        throw new StackConfigError(r.problems);
    }
    const warnings = [
        ...plaintextSecretWarnings(Object.keys(all), isSecretConfig, pulumi.getStack()),
        ...ephemeralInfluxWarnings(influx),
        ...cloudPlanWarnings(influx, retention),
    ];
    return { influx, bucket, retention, retentionSet, tasks, adopt, backfillRange, flagsmith, warnings };
}

/** Object settings: `pulumi config set influxdb.port 8087` (no `--path`) makes a top-level key `influxdb.port`. */
const OBJECT_SETTINGS = ["influxdb", "retention", "tasks", "backfill", "flagsmith"];

/**
 * The message for a top-level key the program does not know (`name` without the namespace). A dotted key whose prefix
 * is an object setting was set without `--path`: the fix says so, with the value (`undefined` for a secret).
 */
export function unknownTopLevelKeyProblem(name: string, value: string | undefined): string {
    const key = `${CONFIG_NAMESPACE}:${name}`;
    const [prefix, ...rest] = name.split(".");
    if (rest.length === 0 || !OBJECT_SETTINGS.includes(prefix)) {
        return `${key}: unknown setting; known: ${[...TOP_KEYS, ...SECRET_CONFIG_KEYS].join(", ")}`;
    }
    const secretKey =
        prefix === "influxdb" ? INFLUX_SECRET_KEYS[rest[0] as keyof typeof INFLUX_SECRET_KEYS] : undefined;
    const setIt =
        secretKey !== undefined
            ? `pulumi config set --secret ${secretKey} <value>`
            : `pulumi config set --path ${shellWord(name)} ${value === undefined ? "<value>" : shellWord(value)}`;
    return (
        `${key}: a top-level key literally named "${name}", set without --path; ${prefix} is an object setting, so ` +
        `nested keys need --path: pulumi config rm ${shellWord(name)} && ${setIt}`
    );
}

/** Whether the engine passed the config key (`<namespace>:<key>`) as a secret; true when the SDK cannot tell. */
function isSecretConfig(key: string): boolean {
    // The SDK's own check (runtime/config.js, reading PULUMI_CONFIG_SECRET_KEYS); not in its type declarations.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    return runtime.isConfigSecret?.(key) ?? true;
}

/**
 * Warnings for the secret settings among `keys` (full config keys) stored in plain text in `Pulumi.<stack>.yaml`
 * (set without `--secret`), each with the command that encrypts it in place.
 */
export function plaintextSecretWarnings(
    keys: readonly string[],
    isSecret: (key: string) => boolean,
    stack: string,
): string[] {
    return SECRET_CONFIG_KEYS.filter((name) => {
        const key = `${CONFIG_NAMESPACE}:${name}`;
        return keys.includes(key) && !isSecret(key);
    }).map(
        (name) =>
            `${name} is stored in plain text in Pulumi.${stack}.yaml (it was set without --secret); encrypt it: ` +
            `pulumi config set --secret ${name} "$(pulumi config get ${name})", and rotate it if that file was shared`,
    );
}

/** InfluxDB and Flagsmith both on Docker publish their ports on the same host: they must differ. */
export function portConflictProblem(influx: InfluxSettings, flagsmith: FlagsmithSettings): string | undefined {
    if (influx.platform !== "docker" || flagsmith.platform !== "docker") {
        return undefined;
    }
    const influxPort = influx.port ?? INFLUXDB_CONTAINER_PORT;
    const apiPort = flagsmith.apiPort ?? DEFAULT_API_PORT;
    if (influxPort !== apiPort) {
        return undefined;
    }
    const other = apiPort < 65535 ? apiPort + 1 : apiPort - 1;
    return (
        `influxdb.port and flagsmith.apiPort: both are ${apiPort}, and both are published on the Docker host, so ` +
        `they need different ports. Fix: pulumi config set --path flagsmith.apiPort ${other}`
    );
}

/** A setting readStackSettings accepts. */
export interface StackSettingKey {
    /** Path under the project's namespace: `platform`, `influxdb.image.tag`, `tasks.overrides.<task name>.every`. */
    readonly path: string;
    /** For `influxdb.*` and the InfluxDB secrets: the platforms (`platform`) that accept it. */
    readonly platforms?: readonly InfluxPlatform[];
    /** A secret top-level key (`pulumi config set --secret`). */
    readonly secret?: boolean;
}

/**
 * Every setting readStackSettings accepts, object settings expanded to their keys, built from the key lists its
 * validation uses. README.md's settings table is checked against it (test/acceptance/readme.test.ts).
 */
export function stackSettingKeys(): StackSettingKey[] {
    const influx = new Map<string, InfluxPlatform[]>();
    for (const platform of INFLUX_PLATFORMS) {
        const objects = INFLUX_OBJECT_KEYS[platform] ?? {};
        for (const key of INFLUX_KEYS[platform]) {
            // Secrets are read from top-level secret keys into the settings, never from the `influxdb` object.
            const secret = INFLUX_SECRET_KEYS[key as keyof typeof INFLUX_SECRET_KEYS];
            const paths = secret
                ? [secret]
                : (objects[key]?.map((sub) => `influxdb.${key}.${sub}`) ?? [`influxdb.${key}`]);
            for (const path of paths) {
                influx.set(path, [...(influx.get(path) ?? []), platform]);
            }
        }
    }
    const nested: Record<string, readonly string[]> = {
        retention: Object.keys(RETENTION_KEYS),
        tasks: TASKS_KEYS.flatMap((k) =>
            k === "overrides" ? TASK_OVERRIDE_KEYS.map((o) => `overrides.<task name>.${o}`) : [k],
        ),
        backfill: BACKFILL_KEYS,
        flagsmith: FLAGSMITH_KEYS,
    };
    const influxKeys = [...influx].map(([path, platforms]) => ({ path, platforms }));
    return [
        ...TOP_KEYS.flatMap((top): StackSettingKey[] =>
            top === "influxdb"
                ? influxKeys.filter((k) => k.path.startsWith("influxdb."))
                : (nested[top]?.map((sub) => `${top}.${sub}`) ?? [top]).map((path) => ({ path })),
        ),
        ...SECRET_CONFIG_KEYS.map((path) => ({ ...influxKeys.find((k) => k.path === path), path, secret: true })),
    ];
}
