// Typed, validated stack config for the program. Every problem names the config key and the fix.
import * as pulumi from "@pulumi/pulumi";
import { AnalyticsRetention, DEFAULT_RETENTION, TaskOverride, TaskSettings } from "./analytics";
import { bucketNameProblem } from "../dynamic-providers/bucket";
import { checkPort, parseRetention } from "./connection";
import { DownsamplingTask } from "./downsampling";
import { validateChartValues } from "./chart-values";
import {
    assertNoManagedValues,
    FLAGSMITH_CHART_KEYS_FILE,
    FLAGSMITH_FREE_FORM_VALUES,
    FlagsmithExternalDatabase,
} from "./flagsmith-kubernetes";
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

/** Where Flagsmith runs, or `none` when it is deployed elsewhere (the stack only exports the variables). */
export type FlagsmithPlatform = "docker" | "kubernetes" | "none";

/** Flagsmith settings (`flagsmith` config object). */
export interface FlagsmithSettings {
    readonly platform: FlagsmithPlatform;
    /** Flagsmith image (pinned tag). Default: the component's pinned default. */
    readonly image?: string;
    /** Docker: published API port. Default 8000. */
    readonly apiPort?: number;
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
    readonly tasks: TaskSettings;
    readonly adopt: boolean;
    /** Backfill range (Flux duration) when `backfill.enabled`; undefined when disabled. */
    readonly backfillRange?: string;
    readonly flagsmith: FlagsmithSettings;
}

/** Invalid stack config: every problem, each naming its key and the fix. */
export class StackConfigError extends Error {
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
    "allowedHosts",
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
    allowedHosts: { platform: "docker", hint: "on kubernetes set it through flagsmith.extraValues (api.extraEnv)" },
    protectData: { platform: "docker", hint: "on kubernetes the database is the chart's or flagsmith.database" },
    namespace: { platform: "kubernetes", hint: "remove it" },
    database: { platform: "kubernetes", hint: "on docker the program runs its own Postgres" },
    extraValues: { platform: "kubernetes", hint: "remove it" },
};

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function attempt(problems: string[], fn: () => void): void {
    try {
        fn();
    } catch (e) {
        problems.push((e as Error).message);
    }
}

function parseRetentions(raw: unknown, problems: string[]): AnalyticsRetention {
    if (raw === undefined) {
        return DEFAULT_RETENTION;
    }
    if (!isRecord(raw)) {
        problems.push("retention: must be an object { raw, downsampled15m, downsampled1h } of durations such as 14d");
        return DEFAULT_RETENTION;
    }
    const out: Record<string, number> = { ...DEFAULT_RETENTION };
    for (const [key, value] of Object.entries(raw)) {
        const field = RETENTION_KEYS[key as keyof typeof RETENTION_KEYS];
        if (!field) {
            problems.push(`retention.${key}: unknown; use raw, downsampled15m or downsampled1h`);
            continue;
        }
        attempt(problems, () => {
            if (typeof value !== "string") {
                throw new Error(`retention.${key}: must be a duration string such as "14d" or "0s" (infinite)`);
            }
            out[field] = parseRetention(value, `retention.${key}`);
        });
    }
    if (out.downsampled15mSeconds !== 0 && out.downsampled15mSeconds < 180 * 86400) {
        problems.push(
            "retention.downsampled15m: Flagsmith's usage views read up to 180 days from the 15m bucket; use at least 180d (or 0s)",
        );
    }
    return out as unknown as AnalyticsRetention;
}

function parseTasks(raw: unknown, problems: string[]): TaskSettings {
    if (raw === undefined) {
        return {};
    }
    if (!isRecord(raw)) {
        problems.push("tasks: must be an object { overrides, extra }");
        return {};
    }
    for (const key of Object.keys(raw)) {
        if (!TASKS_KEYS.includes(key)) {
            problems.push(`tasks.${key}: unknown; use tasks.overrides (by task name) or tasks.extra (a list)`);
        }
    }
    const overrides = raw.overrides;
    if (overrides !== undefined && !isRecord(overrides)) {
        problems.push("tasks.overrides: must map task names to { every, offset, status, remove }");
    }
    for (const [name, o] of Object.entries(isRecord(overrides) ? overrides : {})) {
        if (!isRecord(o) || Object.keys(o).some((k) => !TASK_OVERRIDE_KEYS.includes(k))) {
            problems.push(`tasks.overrides["${name}"]: allowed keys are every, offset, status, remove`);
        }
    }
    const extra = raw.extra;
    if (extra !== undefined && !Array.isArray(extra)) {
        problems.push("tasks.extra: must be a list of task specs or { name, flux } objects");
    }
    return {
        overrides: isRecord(overrides) ? (overrides as Record<string, TaskOverride>) : undefined,
        extra: Array.isArray(extra) ? (extra as DownsamplingTask[]) : undefined,
    };
}

/** `backfill: { enabled, range }`: the range defaults to the raw bucket's retention (30d when that is infinite). */
function parseBackfill(raw: unknown, retention: AnalyticsRetention, problems: string[]): string | undefined {
    if (raw === undefined) {
        return undefined;
    }
    if (!isRecord(raw) || Object.keys(raw).some((k) => !BACKFILL_KEYS.includes(k))) {
        problems.push('backfill: must be { enabled: true, range: "14d" } (range optional)');
        return undefined;
    }
    if (raw.enabled !== undefined && typeof raw.enabled !== "boolean") {
        problems.push("backfill.enabled: must be true or false");
    }
    if (raw.enabled !== true) {
        return undefined;
    }
    if (raw.range === undefined) {
        return retention.rawSeconds > 0 ? `${retention.rawSeconds}s` : "30d";
    }
    let ok = false;
    attempt(problems, () => {
        if (typeof raw.range !== "string") {
            throw new Error('backfill.range: must be a duration string such as "14d"');
        }
        ok = parseRetention(raw.range, "backfill.range") > 0;
    });
    if (!ok && problems.every((p) => !p.startsWith("backfill.range"))) {
        problems.push('backfill.range: must be a positive duration such as "14d"');
    }
    return ok ? (raw.range as string) : undefined;
}

function parseFlagsmith(
    raw: unknown,
    influxPlatform: InfluxSettings["platform"],
    databasePassword: string | undefined,
    problems: string[],
): FlagsmithSettings {
    const none: FlagsmithSettings = { platform: "none" };
    if (raw !== undefined && !isRecord(raw)) {
        problems.push("flagsmith: must be an object, e.g. { enabled: false }");
        return none;
    }
    const f = raw ?? {};
    for (const key of Object.keys(f)) {
        if (!FLAGSMITH_KEYS.includes(key)) {
            problems.push(`flagsmith.${key}: unknown setting; known: ${FLAGSMITH_KEYS.join(", ")}`);
        }
    }
    if (f.enabled !== undefined && typeof f.enabled !== "boolean") {
        problems.push("flagsmith.enabled: must be true or false");
    }
    if (f.enabled === false) {
        return none;
    }
    const platform = f.platform ?? (influxPlatform === "external" ? undefined : influxPlatform);
    if (platform === undefined) {
        problems.push(
            "flagsmith.platform: with an external InfluxDB, say where Flagsmith runs (kubernetes) or set flagsmith.enabled: false",
        );
        return none;
    }
    if (platform !== "docker" && platform !== "kubernetes") {
        problems.push(`flagsmith.platform: unknown platform ${JSON.stringify(platform)}; use docker or kubernetes`);
        return none;
    }
    if (platform === "docker" && influxPlatform !== "docker") {
        problems.push(
            "flagsmith.platform: Flagsmith on Docker joins the InfluxDB container's network; use platform: docker",
        );
    }
    for (const [key, only] of Object.entries(FLAGSMITH_PLATFORM_ONLY)) {
        if (f[key] !== undefined && only.platform !== platform) {
            problems.push(
                `flagsmith.${key}: only used when Flagsmith runs on ${only.platform}, not on ${platform}; ${only.hint}`,
            );
        }
    }
    if (f.protectData !== undefined && typeof f.protectData !== "boolean") {
        problems.push("flagsmith.protectData: must be true or false");
    }
    if (f.apiPort !== undefined) {
        attempt(problems, () => checkPort(f.apiPort as number, "flagsmith.apiPort"));
    }
    if (
        f.allowedHosts !== undefined &&
        (!Array.isArray(f.allowedHosts) || f.allowedHosts.some((h) => typeof h !== "string"))
    ) {
        problems.push('flagsmith.allowedHosts: must be a list of host names, e.g. ["flagsmith.example.com"]');
    }
    if (f.extraValues !== undefined && !isRecord(f.extraValues)) {
        problems.push("flagsmith.extraValues: must be an object of chart values");
    } else if (platform === "kubernetes" && isRecord(f.extraValues)) {
        // Checked here as well: KubernetesFlagsmith is built only after InfluxDB and the analytics resources.
        const extra = f.extraValues;
        attempt(problems, () => {
            try {
                validateChartValues(extra, FLAGSMITH_CHART_KEYS_FILE, { freeForm: FLAGSMITH_FREE_FORM_VALUES });
                assertNoManagedValues(extra);
            } catch (err) {
                throw new Error(`flagsmith.extraValues: ${(err as Error).message}`);
            }
        });
    }
    let database = f.database as FlagsmithExternalDatabase | undefined;
    if (databasePassword !== undefined) {
        // The secret completes flagsmith.database { host, port, database, username }, so no password is in plain config.
        const db = isRecord(f.database) ? f.database : undefined;
        if (platform !== "kubernetes" || !db || "url" in db || "password" in db || databasePassword === "") {
            problems.push(
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
        apiPort: f.apiPort as number | undefined,
        allowedHosts: f.allowedHosts as string[] | undefined,
        namespace: f.namespace as string | undefined,
        database,
        extraValues: f.extraValues as Record<string, unknown> | undefined,
        protectData: f.protectData as boolean | undefined,
    };
}

/**
 * Reads and validates the stack config (`flagsmith-influxdb:*`). Throws one StackConfigError listing every problem.
 * The InfluxDB component's initial bucket defaults to `bucket`, so first-boot setup creates Flagsmith's raw bucket.
 */
export function readStackSettings(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): StackSettings {
    const problems: string[] = [];
    const all = pulumi.runtime.allConfig();
    for (const key of Object.keys(all)) {
        const [ns, name] = key.split(":");
        if (ns === CONFIG_NAMESPACE && !TOP_KEYS.includes(name) && !SECRET_CONFIG_KEYS.includes(name)) {
            problems.push(`${key}: unknown setting; known: ${[...TOP_KEYS, ...SECRET_CONFIG_KEYS].join(", ")}`);
        }
    }
    const bucket = config.get("bucket") ?? "default";
    const bucketProblem = bucketNameProblem(bucket);
    if (bucketProblem) {
        problems.push(`bucket: ${JSON.stringify(bucket)} ${bucketProblem}; Fix: pulumi config set bucket default`);
    }
    let influx: InfluxSettings | undefined;
    attempt(problems, () => {
        influx = influxSettingsFromConfig(config, { bucket });
    });
    const retention = parseRetentions(config.getObject("retention"), problems);
    const tasks = parseTasks(config.getObject("tasks"), problems);
    let adopt = false;
    attempt(problems, () => {
        adopt = config.getBoolean("adopt") ?? false;
    });
    const backfillRange = parseBackfill(config.getObject("backfill"), retention, problems);
    const flagsmith = parseFlagsmith(
        config.getObject("flagsmith"),
        influx?.platform ?? "docker",
        config.get("flagsmithDatabasePassword"),
        problems,
    );
    if (problems.length > 0 || influx === undefined) {
        throw new StackConfigError(problems);
    }
    return { influx, bucket, retention, tasks, adopt, backfillRange, flagsmith };
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
 * validation uses. README.md's settings table is checked against it (test/readme.test.ts).
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
