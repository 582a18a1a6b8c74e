// Flagsmith on Kubernetes: the Flagsmith Helm chart, pinned, wired to InfluxDB for analytics through a
// Pulumi-managed Secret holding the least-privilege token. Every value passed is checked against the chart's values.yaml
// (its committed key tree, components/chart-keys).
import { isDnsLabel, isPort } from "./settings/validators";
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartKeysFile, isPlainObject, validateChartValues } from "./chart-values";
import { FLAGSMITH_MANAGED_ENV, FlagsmithInfluxEnv } from "./connection";
import { settingError } from "./errors";
import { compact } from "../dynamic-providers/common";
import * as random from "@pulumi/random";

/** The chart this component deploys. Pinned: the values are validated against this version's values.yaml. */
export const FLAGSMITH_CHART = {
    name: "flagsmith",
    version: "0.81.0",
    appVersion: "2.227.0",
    repo: "https://flagsmith.github.io/flagsmith-charts/",
} as const;

/**
 * What the values are validated against when `chartValuesFile` is not given: the key tree of this chart version's
 * values.yaml (https://github.com/Flagsmith/flagsmith-charts, `charts/flagsmith/values.yaml` at flagsmith-0.81.0),
 * committed as `components/chart-keys/flagsmith-0.81.0.json` (see ./chart-values).
 */
export const FLAGSMITH_CHART_KEYS_FILE = chartKeysFile(FLAGSMITH_CHART.name, FLAGSMITH_CHART.version);

/**
 * Paths below which any key is accepted: env-var maps (the values file shows example entries) and the subcharts
 * (`devPostgresql` is Bitnami's postgresql chart, `graphite` kiwigrid's), whose keys that file only partly shows.
 */
export const FLAGSMITH_FREE_FORM_VALUES: readonly string[] = [
    "api.extraEnv",
    "api.extraEnvFromSecret",
    "frontend.extraEnv",
    "frontend.extraEnvFromSecret",
    "taskProcessor.extraEnv",
    "pgbouncer.extraEnv",
    "devPostgresql",
    "graphite",
];

/**
 * Value paths the component sets itself; `extraValues` may not set them (or anything below them). The analytics
 * switch is here because `UsePostgresForAnalytics` would keep analytics out of InfluxDB.
 */
export const MANAGED_VALUE_PATHS: readonly string[] = [
    "influxdbExternal",
    "taskProcessor.enabled",
    "api.secretKeyFromExistingSecret",
    "devPostgresql.enabled",
    "devPostgresql.auth.postgresPassword",
    "databaseExternal",
    "UsePostgresForAnalytics",
];

/** Environment variables the chart derives from the managed values; `extraEnv`/`extraEnvFromSecret` may not set them. */
export const MANAGED_ENV_NAMES: readonly string[] = FLAGSMITH_MANAGED_ENV;

/** Pod annotation carrying a hash of the secrets the pods read, so that changing them restarts the pods. */
export const SECRETS_CHECKSUM_ANNOTATION = "checksum/pulumi-secrets";

const ENV_MAPS = ["api.extraEnv", "api.extraEnvFromSecret", "taskProcessor.extraEnv"];

/** An external PostgreSQL database: either `url`, or `host` + `database` + `username` + `password`. */
export interface FlagsmithExternalDatabase {
    /** Full URL, e.g. `postgres://user:password@db.example.com:5432/flagsmith`. Made secret. Excludes the fields below. */
    readonly url?: pulumi.Input<string>;
    /** Database host name. Required without `url`. */
    readonly host?: pulumi.Input<string>;
    /** Database port. Default 5432; an integer in 1..65535. */
    readonly port?: pulumi.Input<number>;
    /** Database name. Required without `url`. */
    readonly database?: pulumi.Input<string>;
    /** Role name. Required without `url`. */
    readonly username?: pulumi.Input<string>;
    /** Role password. Required without `url`; made secret. */
    readonly password?: pulumi.Input<string>;
    /** URL scheme the chart builds the DSN with. Default `postgres`. */
    readonly type?: pulumi.Input<string>;
}

export interface KubernetesFlagsmithArgs {
    /** InfluxDB settings from the analytics side (INFLUXDB_URL must resolve in the cluster; the token is a secret). */
    readonly influxEnv: FlagsmithInfluxEnv;
    /** Existing namespace to deploy into. Default: a namespace `flagsmith-<stack>` created by this component. */
    readonly namespace?: pulumi.Input<string>;
    /** Helm release name. Default `flagsmith-<stack>`; a DNS-1123 label of at most 53 characters. */
    readonly releaseName?: string;
    /** External PostgreSQL. Default: none, the chart's dev Postgres (`devPostgresql`) with a generated password. */
    readonly databaseExternal?: FlagsmithExternalDatabase;
    /** More chart values, deep-merged over the component's; keys are validated. Managed paths are refused. Default {}. */
    readonly extraValues?: Record<string, unknown>;
    /** Seconds Helm waits for the release to become ready (migrations run first). Default 900; at least 1. */
    readonly timeoutSeconds?: number;
    /**
     * What the values are validated against: a chart's values.yaml (`.yaml`/`.yml`, e.g. of a newer chart version) or
     * a key tree (`.json`). Default: {@link FLAGSMITH_CHART_KEYS_FILE}.
     */
    readonly chartValuesFile?: string;
}

function sha256(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}

/** Lower-case DNS-1123 label from `base`, at most `max` characters, or throws if nothing usable is left. */
export function dnsLabel(base: string, max: number, what: string): string {
    const label = base
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .slice(0, max)
        .replace(/^-+|-+$/g, "");
    if (label === "") {
        throw settingError(`KubernetesFlagsmith: cannot derive a ${what} from "${base}"`);
    }
    return label;
}

/** Throws unless `name` is a DNS-1123 label of at most `max` characters. */
export function assertDnsLabel(name: string, max: number, what: string): string {
    if (!isDnsLabel(name, max)) {
        throw settingError(
            `KubernetesFlagsmith: ${what} "${name}" must be a DNS-1123 label of at most ${max} characters`,
        );
    }
    return name;
}

/** The chart's `flagsmith.fullname` helper (no name overrides: the chart's values.yaml has none). */
export function flagsmithFullname(releaseName: string): string {
    const name = releaseName.includes(FLAGSMITH_CHART.name) ? releaseName : `${releaseName}-${FLAGSMITH_CHART.name}`;
    return name.slice(0, 63).replace(/-+$/, "");
}

/** In-cluster URL of the API service the chart creates (`<fullname>-api`, port `service.api.port`). */
export function flagsmithApiUrl(releaseName: string, namespace: string, port: number): string {
    return `http://${flagsmithFullname(releaseName)}-api.${namespace}.svc.cluster.local:${port}`;
}

/** Local port of the dashboard port-forward (the chart's NOTES.txt uses 8080). */
export const DASHBOARD_LOCAL_PORT = 8080;

/** How a person reaches Flagsmith's dashboard from their machine. */
export interface FlagsmithAccess {
    /** What to open in a browser. */
    readonly url: string;
    /** The `kubectl port-forward` command to run first; undefined when `url` is an ingress. */
    readonly portForward?: string;
}

/**
 * How to reach the dashboard of chart 0.81.0 with `values`: the first host of the frontend ingress
 * (`ingress.frontend.enabled` + `hosts`; https when `ingress.frontend.tls` lists it), else a port-forward to the
 * frontend Service (`<fullname>-frontend`, `service.frontend.port`), or to the API Service when `frontend.enabled` is
 * false (the chart then has no frontend; the API serves Django's /admin/).
 */
export function flagsmithAccess(
    releaseName: string,
    namespace: string,
    values: Record<string, unknown>,
): FlagsmithAccess {
    const frontend = valueAt(values, "frontend.enabled") !== false;
    const hosts = valueAt(values, "ingress.frontend.hosts");
    const host = Array.isArray(hosts) && typeof hosts[0] === "string" ? hosts[0] : undefined;
    if (frontend && valueAt(values, "ingress.frontend.enabled") === true && host !== undefined) {
        const tls = valueAt(values, "ingress.frontend.tls");
        const secure =
            Array.isArray(tls) && tls.some((t) => isPlainObject(t) && Array.isArray(t.hosts) && t.hosts.includes(host));
        return { url: `${secure ? "https" : "http"}://${host}` };
    }
    const component = frontend ? "frontend" : "api";
    const local = frontend ? DASHBOARD_LOCAL_PORT : SERVICE_PORTS.api;
    const service = `${flagsmithFullname(releaseName)}-${component}`;
    return {
        url: `http://localhost:${local}`,
        portForward: `kubectl -n ${namespace} port-forward svc/${service} ${local}:${servicePort(values, component)}`,
    };
}

/** The command that creates the first Flagsmith (Django super)user in the API Deployment of release `releaseName`. */
export function kubernetesCreateSuperuserCommand(releaseName: string, namespace: string): string {
    const deployment = `${flagsmithFullname(releaseName)}-api`;
    return (
        `kubectl -n ${namespace} exec -it deploy/${deployment} -c ${FLAGSMITH_CHART.name}-api -- ` +
        "python manage.py createsuperuser"
    );
}

/** The value at a dotted path of chart values, or undefined. */
function valueAt(values: Record<string, unknown>, dotted: string): unknown {
    let node: unknown = values;
    for (const part of dotted.split(".")) {
        if (!isPlainObject(node)) {
            return undefined;
        }
        node = node[part];
    }
    return node;
}

/** Whether `values` sets `dotted` (or, for a non-object in between, something that would replace it). */
function setsPath(values: Record<string, unknown>, dotted: string): boolean {
    let node: unknown = values;
    for (const part of dotted.split(".")) {
        if (!isPlainObject(node)) {
            return node !== undefined;
        }
        if (!(part in node)) {
            return false;
        }
        node = node[part];
    }
    return true;
}

/** Throws, naming the key, if `extra` sets a value path or environment variable the component manages. */
export function assertNoManagedValues(extra: Record<string, unknown>): void {
    for (const p of MANAGED_VALUE_PATHS) {
        if (setsPath(extra, p)) {
            throw settingError(
                p === "UsePostgresForAnalytics"
                    ? `KubernetesFlagsmith: extraValues must not set "${p}": Flagsmith would store analytics in ` +
                          `Postgres instead of InfluxDB`
                    : `KubernetesFlagsmith: extraValues must not set "${p}": the component sets it`,
            );
        }
    }
    for (const map of ENV_MAPS) {
        for (const name of MANAGED_ENV_NAMES) {
            if (setsPath(extra, `${map}.${name}`)) {
                throw settingError(
                    `KubernetesFlagsmith: extraValues must not set "${map}.${name}": ` +
                        (name === "USE_POSTGRES_FOR_ANALYTICS"
                            ? "Flagsmith would store analytics in Postgres instead of InfluxDB"
                            : "the chart sets it from the component's values"),
                );
            }
        }
    }
}

/** Deep merge of plain objects; `override` wins on leaves. Neither argument is modified. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) {
        const b = out[k];
        out[k] = isPlainObject(b) && isPlainObject(v) ? mergeValues(b, v) : v;
    }
    return out;
}

/** Throws unless `db` has `url` alone, or `host`, `database`, `username` and `password`. */
export function assertExternalDatabase(db: FlagsmithExternalDatabase): void {
    const parts = { host: db.host, database: db.database, username: db.username, password: db.password };
    if (db.url !== undefined) {
        const extra = Object.entries(parts).filter(([, v]) => v !== undefined);
        if (extra.length > 0 || db.port !== undefined || db.type !== undefined) {
            throw settingError(
                "KubernetesFlagsmith: databaseExternal takes either url, or host/port/database/username/password",
            );
        }
        return;
    }
    const missing = Object.entries(parts).filter(([, v]) => v === undefined);
    if (missing.length > 0) {
        throw settingError(
            `KubernetesFlagsmith: databaseExternal without url needs ${missing.map(([k]) => k).join(", ")}`,
        );
    }
    if (typeof db.port === "number" && !isPort(db.port)) {
        throw settingError(`KubernetesFlagsmith: databaseExternal.port must be an integer in 1..65535, got ${db.port}`);
    }
}

/**
 * The URL of an external database given by parts, each part percent-encoded: the Flagsmith chart (0.81.0,
 * templates/_helpers.tpl `flagsmith.api.realDatabaseUrl`) joins the parts with printf and no encoding, so a password
 * such as `p@ss/w:rd#1` would break the URL and the migrations. `type` is the scheme (`postgres`).
 */
export function externalDatabaseUrl(parts: {
    type: string;
    host: string;
    port: number;
    database: string;
    username: string;
    password: string;
}): string {
    const e = encodeURIComponent;
    return `${parts.type}://${e(parts.username)}:${e(parts.password)}@${parts.host}:${parts.port}/${e(parts.database)}`;
}

/**
 * Chart values for the database: the dev Postgres with `devPassword` on the program's volume claim `devClaim`, or the
 * external database: its `url` (a secret), or, given by parts, the Secret `urlSecret` that holds the URL built by
 * externalDatabaseUrl.
 */
export function databaseValues(
    db: FlagsmithExternalDatabase | undefined,
    devPassword?: pulumi.Input<string>,
    urlSecret?: { readonly name: string; readonly key: string },
    devClaim?: pulumi.Input<string>,
): Record<string, unknown> {
    if (db === undefined) {
        if (devPassword === undefined) {
            throw settingError("KubernetesFlagsmith: the dev Postgres needs a password");
        }
        return {
            devPostgresql: compact({
                enabled: true,
                auth: { postgresPassword: pulumi.secret(devPassword) },
                primary: devClaim === undefined ? undefined : { persistence: { existingClaim: devClaim } },
            }),
        };
    }
    assertExternalDatabase(db);
    if (db.url === undefined && urlSecret === undefined) {
        throw new Error("databaseValues: an external database given by parts needs the Secret that holds its URL");
    }
    const external: Record<string, unknown> =
        db.url !== undefined
            ? { enabled: true, url: pulumi.secret(db.url) }
            : { enabled: true, urlFromExistingSecret: { enabled: true, ...urlSecret } };
    return { devPostgresql: { enabled: false }, databaseExternal: external };
}

/** Seconds before the task processor's first liveness probe: a first install's migrations take a minute or two. */
export const TASK_PROCESSOR_LIVENESS_DELAY_SECONDS = 180;

/**
 * The dev Postgres volume the program creates, from `devPostgresql.primary.persistence` in extraValues with the
 * subchart's defaults (postgresql 12.5.8's values.yaml: 8Gi, the cluster's storage class; `-` means none). None when
 * persistence is off or the user names an `existingClaim`.
 */
export function devPostgresPersistence(extraValues: Record<string, unknown>): {
    ownClaim: boolean;
    size: pulumi.Input<string>;
    storageClassName?: pulumi.Input<string>;
} {
    const p = ((extraValues.devPostgresql as { primary?: { persistence?: Record<string, unknown> } } | undefined)
        ?.primary?.persistence ?? {}) as {
        enabled?: unknown;
        existingClaim?: unknown;
        size?: pulumi.Input<string>;
        storageClass?: pulumi.Input<string>;
    };
    const storageClass = p.storageClass === "" ? undefined : p.storageClass;
    return {
        ownClaim: p.enabled !== false && !p.existingClaim,
        size: p.size ?? "8Gi",
        storageClassName: storageClass === "-" ? "" : storageClass,
    };
}

/**
 * Flagsmith (API, frontend, task processor) from its Helm chart, using InfluxDB for analytics.
 *
 * Why `helm.v3.Release` and not `helm.v4.Chart`: this chart is written for Helm's lifecycle. It generates the Django
 * secret key (and the SSE token) in pre-install/pre-upgrade hook Jobs, can run migrations as a hook Job, ships
 * `helm test` hooks, and has used `lookup` to keep generated secrets. `v4.Chart` renders client-side (lookups see
 * nothing) and turns hooks into plain resources Pulumi keeps, so immutable Jobs would be replaced on each change.
 * A Release runs the hooks as Helm does, waits until the API passed its readiness probe (its init container has run
 * the migrations) before `pulumi up` ends, and leaves `helm history`/`rollback`/`test` usable. The cost is a preview
 * showing one Release diff instead of each object, which is why every value is validated before anything is sent.
 * The component supplies the Django secret key itself (a Pulumi Secret) so the key is stable and no hook Job with an
 * unpinned `kubectl` image is needed.
 */
export class KubernetesFlagsmith extends pulumi.ComponentResource {
    /** Helm release name. */
    public readonly releaseName: pulumi.Output<string>;
    /** Namespace of the release. */
    public readonly namespace: pulumi.Output<string>;
    /** In-cluster URL of the API service, e.g. `http://flagsmith-dev-api.flagsmith-dev.svc.cluster.local:8000`. */
    public readonly apiUrl: pulumi.Output<string>;
    /** What a person opens for the dashboard: the frontend ingress, or `http://localhost:8080` after the port-forward. */
    public readonly dashboardUrl: pulumi.Output<string>;
    /** The `kubectl port-forward` that makes `dashboardUrl` work; undefined with a frontend ingress. */
    public readonly dashboardPortForward: pulumi.Output<string | undefined>;
    /** Command that creates the first user (a Django superuser) in the API Deployment. */
    public readonly createSuperuserCommand: pulumi.Output<string>;
    /** Name of the Secret holding the InfluxDB token (key {@link KubernetesFlagsmith.tokenSecretKey}). */
    public readonly tokenSecretName: pulumi.Output<string>;
    /** Key of the token in that Secret. */
    public readonly tokenSecretKey: string = "token";
    /** The values sent to the chart (secrets inside stay secret Outputs). */
    public readonly values: Record<string, unknown>;

    constructor(name: string, args: KubernetesFlagsmithArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:flagsmith:KubernetesFlagsmith", name, {}, opts);

        const stack = pulumi.getStack();
        const releaseName = assertDnsLabel(
            args.releaseName ?? dnsLabel(`flagsmith-${stack}`, 53, "release name"),
            53,
            "releaseName",
        );
        const timeout = args.timeoutSeconds ?? 900;
        if (!Number.isInteger(timeout) || timeout < 1) {
            throw settingError(`KubernetesFlagsmith: timeoutSeconds must be a positive integer, got ${timeout}`);
        }
        const extraValues = args.extraValues ?? {};
        if (!isPlainObject(extraValues)) {
            throw settingError("KubernetesFlagsmith: extraValues must be a plain object");
        }
        const valuesFile = args.chartValuesFile ?? FLAGSMITH_CHART_KEYS_FILE;
        const validationOptions = { freeForm: FLAGSMITH_FREE_FORM_VALUES };
        // Validate the passthrough on its own first, so its errors name the user's keys.
        try {
            validateChartValues(extraValues, valuesFile, validationOptions);
            assertNoManagedValues(extraValues);
        } catch (err) {
            throw settingError(`KubernetesFlagsmith "${name}" extraValues: ${(err as Error).message}`);
        }
        if (args.databaseExternal !== undefined) {
            assertExternalDatabase(args.databaseExternal);
        }

        const child = { parent: this };
        const namespaceResource =
            args.namespace === undefined
                ? new k8s.core.v1.Namespace(
                      `${name}-namespace`,
                      { metadata: { name: dnsLabel(`flagsmith-${stack}`, 63, "namespace") } },
                      child,
                  )
                : undefined;
        const namespace: pulumi.Output<string> = namespaceResource
            ? namespaceResource.metadata.name
            : pulumi.output(args.namespace as pulumi.Input<string>);

        const tokenSecretName = `${releaseName}-influxdb-token`;
        const tokenSecret = new k8s.core.v1.Secret(
            `${name}-influxdb-token`,
            {
                metadata: { name: tokenSecretName, namespace },
                type: "Opaque",
                stringData: { [this.tokenSecretKey]: pulumi.secret(args.influxEnv.INFLUXDB_TOKEN) },
            },
            child,
        );

        const secretKey = new random.RandomPassword(`${name}-django-secret-key`, { length: 64, special: false }, child);
        const secretKeySecretName = `${releaseName}-django-key`;
        const secretKeyKey = "django-secret-key";
        const secretKeySecret = new k8s.core.v1.Secret(
            `${name}-django-secret-key`,
            {
                metadata: { name: secretKeySecretName, namespace },
                type: "Opaque",
                stringData: { [secretKeyKey]: pulumi.secret(secretKey.result) },
            },
            child,
        );

        // An external database given by parts: its URL, encoded, in a Secret the chart reads by reference.
        const db = args.databaseExternal;
        const urlSecret =
            db !== undefined && db.url === undefined ? { name: `${releaseName}-database-url`, key: "url" } : undefined;
        let urlSecretResource: k8s.core.v1.Secret | undefined;
        if (db !== undefined && urlSecret !== undefined) {
            const url = pulumi
                .all([db.type ?? "postgres", db.host, db.port ?? 5432, db.database, db.username, db.password])
                .apply(([type, host, port, database, username, password]) =>
                    externalDatabaseUrl({
                        type: String(type),
                        host: String(host),
                        port: Number(port),
                        database: String(database),
                        username: String(username),
                        password: String(password),
                    }),
                );
            urlSecretResource = new k8s.core.v1.Secret(
                `${name}-database-url`,
                {
                    metadata: { name: urlSecret.name, namespace },
                    type: "Opaque",
                    stringData: { [urlSecret.key]: pulumi.secret(url) },
                },
                child,
            );
        }
        const devPassword =
            args.databaseExternal === undefined
                ? new random.RandomPassword(`${name}-postgres-password`, { length: 32, special: false }, child).result
                : undefined;
        // The dev Postgres keeps its data on a claim of the program's own, not on the subchart's volumeClaimTemplates:
        // a StatefulSet's claims outlive `helm uninstall`, so in an existing namespace a destroy left the old data (and
        // its old password) for the next stack, whose new password then failed. This claim goes with the stack.
        const devPersistence = devPostgresPersistence(extraValues);
        const devClaim =
            args.databaseExternal === undefined && devPersistence.ownClaim
                ? new k8s.core.v1.PersistentVolumeClaim(
                      `${name}-postgres-data`,
                      {
                          metadata: {
                              name: `${releaseName}-dev-postgresql-data`,
                              namespace,
                              // Bound only once the Postgres pod, which the release creates, uses it.
                              annotations: { "pulumi.com/skipAwait": "true" },
                          },
                          spec: compact({
                              accessModes: ["ReadWriteOnce"],
                              resources: { requests: { storage: devPersistence.size } },
                              storageClassName: devPersistence.storageClassName,
                          }),
                      },
                      child,
                  )
                : undefined;
        // Pods read both secrets through secretKeyRef, which Kubernetes does not refresh in running pods: a checksum
        // annotation rolls the API and task processor when either changes (e.g. the token is rotated).
        const secretsChecksum = pulumi
            .all([pulumi.secret(args.influxEnv.INFLUXDB_TOKEN), pulumi.secret(secretKey.result)])
            .apply(([token, key]) => sha256(`${token}\n${key}`));
        const podAnnotations = { [SECRETS_CHECKSUM_ANNOTATION]: secretsChecksum };

        const managed: Record<string, unknown> = {
            influxdbExternal: {
                enabled: true,
                url: args.influxEnv.INFLUXDB_URL,
                bucket: args.influxEnv.INFLUXDB_BUCKET,
                organization: args.influxEnv.INFLUXDB_ORG,
                tokenFromExistingSecret: { enabled: true, name: tokenSecretName, key: this.tokenSecretKey },
            },
            taskProcessor: { enabled: true, podAnnotations },
            api: {
                secretKeyFromExistingSecret: { enabled: true, name: secretKeySecretName, key: secretKeyKey },
                podAnnotations,
            },
            ...databaseValues(args.databaseExternal, devPassword, urlSecret, devClaim?.metadata.name),
        };
        // Chart 0.81.0 removed its in-chart InfluxDB (no `influxdb2` key any more), so there is nothing to disable.
        // Chart 0.81.0 enables the SSE service's HorizontalPodAutoscaler (hpa.sse.enabled: true) although the SSE
        // service is off (sse.enabled: false), leaving an HPA whose target does not exist: it follows sse.enabled
        // unless extraValues set it.
        const sse = (extraValues as { sse?: { enabled?: unknown } }).sse?.enabled === true;
        // The task processor starts with `waitfordb --waitfor 30 --migrations` (api/scripts/run-docker.sh of
        // Flagsmith, `run_task_processor`) while, on a first install, the API's init container is still migrating;
        // with the chart's liveness probe (5 s delay, 5 failures 10 s apart) it was killed and restarted meanwhile.
        // Its first probe waits TASK_PROCESSOR_LIVENESS_DELAY_SECONDS unless extraValues set it.
        const defaults = {
            hpa: { sse: { enabled: sse } },
            taskProcessor: { livenessProbe: { initialDelaySeconds: TASK_PROCESSOR_LIVENESS_DELAY_SECONDS } },
        };
        const values = mergeValues(mergeValues(defaults, extraValues), managed);
        validateChartValues(values, valuesFile, validationOptions);
        this.values = values;

        const release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: releaseName,
                chart: FLAGSMITH_CHART.name,
                version: FLAGSMITH_CHART.version,
                repositoryOpts: { repo: FLAGSMITH_CHART.repo },
                namespace,
                values,
                timeout,
                skipAwait: false,
            },
            {
                parent: this,
                dependsOn: [
                    tokenSecret,
                    secretKeySecret,
                    ...(urlSecretResource ? [urlSecretResource] : []),
                    ...(devClaim ? [devClaim] : []),
                ],
            },
        );

        const apiPort = servicePort(values, "api");
        this.releaseName = release.name;
        this.namespace = release.namespace;
        this.tokenSecretName = tokenSecret.metadata.name;
        const names = pulumi.all([release.name, release.namespace]);
        this.apiUrl = names.apply(([n, ns]) => flagsmithApiUrl(n, ns, apiPort));
        const access = names.apply(([n, ns]) => flagsmithAccess(n, ns, values));
        this.dashboardUrl = access.url;
        this.dashboardPortForward = access.apply((a) => a.portForward);
        this.createSuperuserCommand = names.apply(([n, ns]) => kubernetesCreateSuperuserCommand(n, ns));
        this.registerOutputs({
            releaseName: this.releaseName,
            namespace: this.namespace,
            apiUrl: this.apiUrl,
            dashboardUrl: this.dashboardUrl,
            dashboardPortForward: this.dashboardPortForward,
            createSuperuserCommand: this.createSuperuserCommand,
            tokenSecretName: this.tokenSecretName,
        });
    }
}

/** The chart's default Service ports (`service.<component>.port`). */
const SERVICE_PORTS = { api: 8000, frontend: 8080 } as const;

/** `service.<component>.port` from the values if it is a plain number, else the chart's default. */
export function servicePort(values: Record<string, unknown>, component: keyof typeof SERVICE_PORTS): number {
    const port = valueAt(values, `service.${component}.port`);
    return typeof port === "number" ? port : SERVICE_PORTS[component];
}
