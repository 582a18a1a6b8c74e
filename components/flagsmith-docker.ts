// Flagsmith on Docker: Postgres, a one-shot `migrate` container, the API (`serve`) and the task processor,
// all on InfluxDB's network and all reading the InfluxDB settings the analytics side produced.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { FLAGSMITH_MANAGED_ENV, FlagsmithInfluxEnv } from "./connection";
import { resourceError, settingError } from "./errors";
import { checkBindAddress, isPort, validated } from "./settings/validators";

/** Flagsmith's unified image (API + bundled frontend), pinned to the app version of chart 0.81.0. */
export const DEFAULT_FLAGSMITH_IMAGE = "flagsmith/flagsmith:2.227.0";
/** Postgres image, pinned (Flagsmith's own docker-compose.yml runs Postgres 15 on Alpine). */
export const DEFAULT_POSTGRES_IMAGE = "postgres:15.13-alpine";
/** Host port the API is published on by default (the port the image listens on, too). */
export const DEFAULT_API_PORT = 8000;
/** Host address the API port is bound to by default: this machine only, like InfluxDB's. */
export const DEFAULT_BIND_ADDRESS = "127.0.0.1";
/** Port gunicorn binds inside the Flagsmith image (API and task processor alike). */
export const FLAGSMITH_CONTAINER_PORT = 8000;
/** Database and role Flagsmith uses inside the bundled Postgres. */
export const POSTGRES_DATABASE = "flagsmith";
export const POSTGRES_USER = "postgres";
/** Where the postgres image keeps its cluster (PGDATA for Postgres <= 17). */
/** Healthcheck of a Flagsmith container (API or task processor), and `wait` until it passes (5 minutes at most). */
function flagsmithHealth(tests: pulumi.Input<pulumi.Input<string>[]>) {
    return {
        healthcheck: { tests, interval: "5s", timeout: "5s", retries: 10, startPeriod: "30s" },
        wait: true,
        waitTimeout: 300,
    };
}

export const POSTGRES_DATA_PATH = "/var/lib/postgresql/data";

/**
 * Environment variables this component owns on the Flagsmith containers; `extraEnv` may not set them.
 * `USE_POSTGRES_FOR_ANALYTICS` is here because Flagsmith lets it win over InfluxDB: it must never be set.
 */
export const MANAGED_ENV_NAMES: readonly string[] = [...FLAGSMITH_MANAGED_ENV, "DJANGO_ALLOWED_HOSTS"];

export interface DockerFlagsmithArgs {
    /** InfluxDB settings from the analytics side (INFLUXDB_URL must resolve on `network`; the token is a secret). */
    readonly influxEnv: FlagsmithInfluxEnv;
    /**
     * Docker network every container joins: InfluxDB's (a name or the `docker.Network`), so its name resolves.
     * Default: a network of Flagsmith's own, `flagsmith-<stack>-network` (an InfluxDB outside Docker).
     */
    readonly network?: pulumi.Input<string> | docker.Network;
    /** Flagsmith image. Default `flagsmith/flagsmith:2.227.0`; must carry a tag other than `latest`, or a digest. */
    readonly image?: pulumi.Input<string>;
    /** Postgres image. Default `postgres:15.13-alpine`; must carry a tag other than `latest`, or a digest. */
    readonly postgresImage?: pulumi.Input<string>;
    /** Host port the API (and its bundled frontend) is published on. Default 8000; an integer in 1..65535. */
    readonly apiPort?: pulumi.Input<number>;
    /** Host address `apiPort` is bound to. Default `127.0.0.1` (this machine only); an IPv4 or IPv6 address. */
    readonly bindAddress?: pulumi.Input<string>;
    /** DJANGO_ALLOWED_HOSTS entries (Django syntax: `*`, `.example.com`). Default `["*"]`; non-empty, no commas. */
    readonly allowedHosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** More environment for migrate, API and task processor (e.g. `ENABLE_ADMIN_ACCESS_USER_PASS`). Default none. */
    readonly extraEnv?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Protect the Postgres data volume from deletion (the `protect` option, so a plain boolean). Default false. */
    readonly protectData?: boolean;
    /** Suffix of every Docker object name (`flagsmith-api-<suffix>`). Default: the stack name; `[A-Za-z0-9_.-]+`. */
    readonly nameSuffix?: string;
}

/** Docker object names of one deployment. */
export interface DockerFlagsmithNames {
    readonly postgres: string;
    readonly postgresVolume: string;
    readonly migrate: string;
    readonly api: string;
    readonly taskProcessor: string;
    /** The network of its own, when InfluxDB is not on Docker. */
    readonly network: string;
}

/** Stack-scoped Docker names; `suffix` must be a valid Docker name fragment. */
export function dockerFlagsmithNames(suffix: string): DockerFlagsmithNames {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(suffix)) {
        throw settingError(`DockerFlagsmith: name suffix "${suffix}" must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
    }
    return {
        postgres: `flagsmith-postgres-${suffix}`,
        postgresVolume: `flagsmith-postgres-data-${suffix}`,
        migrate: `flagsmith-migrate-${suffix}`,
        api: `flagsmith-api-${suffix}`,
        taskProcessor: `flagsmith-task-processor-${suffix}`,
        network: `flagsmith-${suffix}-network`,
    };
}

/** Why `image` is not pinned to a tag other than `latest` or a digest (moving tags redeploy silently), or undefined. */
export function pinnedImageProblem(image: string): string | undefined {
    const withoutDigest = image.split("@")[0];
    const hasDigest = /@sha256:[0-9a-f]{64}$/.test(image);
    const lastSegment = withoutDigest.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
    if (image.trim() !== image || withoutDigest === "") {
        return `"${image}" is not a valid image reference`;
    }
    if (!hasDigest && (tag === undefined || tag === "" || tag === "latest")) {
        return `"${image}" must be pinned to a version tag (not "latest") or a digest`;
    }
    return undefined;
}

/** Throws unless `image` names a tag other than `latest` or a digest (see {@link pinnedImageProblem}). */
export function assertPinnedImage(image: string, what: string): string {
    const problem = pinnedImageProblem(image);
    if (problem !== undefined) {
        throw settingError(`DockerFlagsmith: ${what} ${problem}`);
    }
    return image;
}

/** Throws unless `port` is an integer in 1..65535. */
export function assertPort(port: number, what: string): number {
    if (!isPort(port)) {
        throw settingError(`DockerFlagsmith: ${what} must be an integer in 1..65535, got ${port}`);
    }
    return port;
}

/** Validates DJANGO_ALLOWED_HOSTS entries and returns them comma-joined, as Django's env.list() reads them. */
export function allowedHostsValue(hosts: readonly string[]): string {
    if (hosts.length === 0) {
        throw settingError("DockerFlagsmith: allowedHosts must not be empty (Django would reject every request)");
    }
    for (const h of hosts) {
        if (h.trim() === "" || /[,\s]/.test(h)) {
            throw settingError(
                `DockerFlagsmith: allowedHosts entry "${h}" must be non-empty, without commas or spaces`,
            );
        }
    }
    return hosts.join(",");
}

/** Host header for the in-container health check: one Django accepts given `hosts`. */
export function healthCheckHost(hosts: readonly string[]): string {
    const first = hosts.find((h) => h !== "*");
    return hosts.includes("*") || first === undefined ? "localhost" : first.replace(/^\./, "");
}

/**
 * Why `extraEnv` may not set the variable `name` (one the component owns, USE_POSTGRES_FOR_ANALYTICS, or not a valid
 * name), or undefined when it may.
 */
export function extraEnvNameProblem(name: string): string | undefined {
    if (name === "USE_POSTGRES_FOR_ANALYTICS") {
        return (
            "must not set USE_POSTGRES_FOR_ANALYTICS: Flagsmith would then store analytics in Postgres instead of " +
            "InfluxDB"
        );
    }
    if (MANAGED_ENV_NAMES.includes(name)) {
        return `must not set ${name}: the component sets it`;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return `name "${name}" is not a valid environment variable name`;
    }
    return undefined;
}

/** Throws unless `extraEnv` leaves the variables this component owns (and USE_POSTGRES_FOR_ANALYTICS) alone. */
export function assertExtraEnv(extra: Readonly<Record<string, unknown>>): void {
    for (const name of Object.keys(extra)) {
        const problem = extraEnvNameProblem(name);
        if (problem !== undefined) {
            throw settingError(`DockerFlagsmith: extraEnv ${problem}`);
        }
    }
}

/** The URL a browser on the Docker host opens for a port bound to `bindAddress` (`localhost` for loopback/any). */
export function publishedUrl(bindAddress: string, port: number): string {
    const local = ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(bindAddress);
    const host = local ? "localhost" : bindAddress.includes(":") ? `[${bindAddress}]` : bindAddress;
    return `http://${host}:${port}`;
}

/** The command that creates the first Flagsmith (Django super)user in the API container `containerName`. */
export function createSuperuserCommand(containerName: string): string {
    return `docker exec -it ${containerName} python manage.py createsuperuser`;
}

/** `KEY=value` entries for a container's `envs`, sorted by name so the order never causes a diff. */
export function envEntries(vars: Readonly<Record<string, string>>): string[] {
    return Object.keys(vars)
        .sort()
        .map((k) => `${k}=${vars[k]}`);
}

/**
 * A container's `envs` built from (possibly secret) values. Docker's `envs` is one list property, so secrecy is
 * all-or-nothing: the whole list is made secret, which keeps the token, DB password and secret key out of plain
 * state and diffs (at the cost of hiding the harmless entries too).
 */
export function secretEnvs(vars: pulumi.Input<Record<string, pulumi.Input<string>>>): pulumi.Output<string[]> {
    return pulumi.secret(pulumi.output(vars).apply((v) => envEntries(v as Record<string, string>)));
}

/** DATABASE_URL for the bundled Postgres. */
export function postgresDatabaseUrl(password: string, host: string): string {
    return `postgresql://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:5432/${POSTGRES_DATABASE}`;
}

/**
 * The Docker provider does not fail a container created with `attach: true, mustRun: false` when its command exits
 * non-zero: it only records `exitCode`. This turns a failed migration into a deployment error instead.
 */
export function assertMigrationSucceeded(
    exitCode: number | undefined,
    containerName: string,
    urn?: string,
    container?: pulumi.Resource,
): void {
    if (exitCode !== 0) {
        const rerun =
            urn === undefined ? "" : `, fix the cause, then run it again with \`pulumi up --replace '${urn}'\``;
        const report = (message: string) => (container ? resourceError(message, container) : settingError(message));
        throw report(
            `Flagsmith migrations failed: container ${containerName} exited with ` +
                `${exitCode === undefined ? "no exit code" : `code ${exitCode}`}; ` +
                `see \`docker logs ${containerName}\`${rerun}`,
        );
    }
}

/** Health check of the API: GET /health/readiness/ (checks the database too) with Python, which the image has. */
export function apiHealthCheckCommand(host: string): string[] {
    const url = `http://127.0.0.1:${FLAGSMITH_CONTAINER_PORT}/health/readiness/`;
    const code =
        "import urllib.request as u; " +
        `u.urlopen(u.Request(${JSON.stringify(url)}, headers={"Host": ${JSON.stringify(host)}}), timeout=5)`;
    return ["CMD", "python", "-c", code];
}

/** Health check of the task processor: its gunicorn (health endpoints) accepts TCP connections on 8000. */
export function taskProcessorHealthCheckCommand(): string[] {
    const code = `import socket; socket.create_connection(("127.0.0.1", ${FLAGSMITH_CONTAINER_PORT}), 5).close()`;
    return ["CMD", "python", "-c", code];
}

/**
 * Flagsmith (API, frontend and task processor) on Docker, with its own Postgres, wired to InfluxDB for analytics.
 *
 * Order: Postgres (healthy) -> `migrate` (ran to completion, exit code 0) -> `serve` (healthy) and
 * `run-task-processor` (healthy).
 *
 * Why a separate one-shot `migrate` container rather than the image's default `migrate-and-serve` command (which is
 * what Flagsmith's own docker-compose.yml runs in its API service, the processor waiting on `service_healthy`): as
 * its own resource the migration runs exactly when the image or configuration changes (any change replaces the
 * container), Pulumi knows it finished before it starts `serve` and the task processor, a failed migration fails
 * `pulumi up` with its exit code (see {@link assertMigrationSucceeded}) instead of leaving an API container
 * restarting until a health-check timeout, and restarting `serve` never re-runs migrations. It mirrors the Helm
 * chart's migrate init container / job. The exited container is kept (no `rm`): removing it would make the next
 * refresh see it gone and re-create it, re-running migrations on every deployment; `docker logs` also needs it.
 */
export class DockerFlagsmith extends pulumi.ComponentResource {
    /** URL of the API (and bundled frontend) from the Docker host, e.g. `http://localhost:8000` (publishedUrl). */
    public readonly apiUrl: pulumi.Output<string>;
    /** Command that creates the first user (a Django superuser) in the API container. */
    public readonly createSuperuserCommand: pulumi.Output<string>;
    /** Host port the API is published on. */
    public readonly apiPort: pulumi.Output<number>;
    /** Container names. */
    public readonly postgresContainerName: pulumi.Output<string>;
    public readonly migrateContainerName: pulumi.Output<string>;
    public readonly apiContainerName: pulumi.Output<string>;
    public readonly taskProcessorContainerName: pulumi.Output<string>;
    /** Name of the Postgres data volume. */
    public readonly postgresVolumeName: pulumi.Output<string>;

    constructor(name: string, args: DockerFlagsmithArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:flagsmith:DockerFlagsmith", name, {}, opts);

        const names = dockerFlagsmithNames(args.nameSuffix ?? pulumi.getStack());
        const networkName =
            args.network === undefined
                ? new docker.Network(`${name}-network`, { name: names.network }, { parent: this }).name
                : docker.Network.isInstance(args.network)
                  ? args.network.name
                  : pulumi.output(args.network);
        const image = pulumi.output(args.image ?? DEFAULT_FLAGSMITH_IMAGE).apply((i) => assertPinnedImage(i, "image"));
        const postgresImageName = pulumi
            .output(args.postgresImage ?? DEFAULT_POSTGRES_IMAGE)
            .apply((i) => assertPinnedImage(i, "postgresImage"));
        const apiPort = pulumi.output(args.apiPort ?? DEFAULT_API_PORT).apply((p) => assertPort(p, "apiPort"));
        const bindAddress = validated(args.bindAddress ?? DEFAULT_BIND_ADDRESS, (a) =>
            checkBindAddress(a, "DockerFlagsmith: bindAddress"),
        );
        const allowedHosts = pulumi.output(args.allowedHosts ?? ["*"]);
        const extraEnv = pulumi.output(args.extraEnv ?? {}).apply((e) => {
            assertExtraEnv(e);
            return e;
        });
        // Fail fast on plain (non-Output) arguments, before anything is registered.
        if (typeof args.image === "string") {
            assertPinnedImage(args.image, "image");
        }
        if (typeof args.postgresImage === "string") {
            assertPinnedImage(args.postgresImage, "postgresImage");
        }
        if (typeof args.apiPort === "number") {
            assertPort(args.apiPort, "apiPort");
        }
        if (args.extraEnv !== undefined && !pulumi.Output.isInstance(args.extraEnv)) {
            assertExtraEnv(args.extraEnv as Record<string, unknown>);
        }

        const child = { parent: this };
        // Fixed container names and a fixed host port: a replacement must remove the old container first.
        const replaceable = { parent: this, deleteBeforeReplace: true };
        const networks = [{ name: networkName }];

        // Secrets: alphanumeric only, so they need no quoting in URLs or env files.
        const postgresPassword = new random.RandomPassword(
            `${name}-postgres-password`,
            { length: 32, special: false },
            child,
        );
        const secretKey = new random.RandomPassword(`${name}-django-secret-key`, { length: 64, special: false }, child);
        const password = pulumi.secret(postgresPassword.result);

        const flagsmithImage = new docker.RemoteImage(`${name}-image`, { name: image, keepLocally: true }, child);
        const postgresImage = new docker.RemoteImage(
            `${name}-postgres-image`,
            { name: postgresImageName, keepLocally: true },
            child,
        );

        const volume = new docker.Volume(
            `${name}-postgres-data`,
            { name: names.postgresVolume },
            { parent: this, protect: args.protectData ?? false },
        );

        const postgres = new docker.Container(
            `${name}-postgres`,
            {
                name: names.postgres,
                image: postgresImage.imageId,
                restart: "unless-stopped",
                envs: secretEnvs({ POSTGRES_DB: POSTGRES_DATABASE, POSTGRES_USER, POSTGRES_PASSWORD: password }),
                volumes: [{ volumeName: volume.name, containerPath: POSTGRES_DATA_PATH }],
                networksAdvanced: [{ name: networkName, aliases: [names.postgres] }],
                healthcheck: {
                    tests: ["CMD-SHELL", `pg_isready -d ${POSTGRES_DATABASE} -U ${POSTGRES_USER}`],
                    interval: "2s",
                    timeout: "2s",
                    retries: 20,
                    startPeriod: "20s",
                },
                wait: true,
                waitTimeout: 120,
            },
            replaceable,
        );

        const managedEnv: Record<string, pulumi.Input<string>> = {
            INFLUXDB_URL: args.influxEnv.INFLUXDB_URL,
            INFLUXDB_TOKEN: pulumi.secret(args.influxEnv.INFLUXDB_TOKEN),
            INFLUXDB_ORG: args.influxEnv.INFLUXDB_ORG,
            INFLUXDB_BUCKET: args.influxEnv.INFLUXDB_BUCKET,
            DATABASE_URL: password.apply((p) => postgresDatabaseUrl(p, names.postgres)),
            DJANGO_SECRET_KEY: pulumi.secret(secretKey.result),
            DJANGO_ALLOWED_HOSTS: allowedHosts.apply(allowedHostsValue),
            TASK_RUN_METHOD: "TASK_PROCESSOR",
        };
        const flagsmithEnv = pulumi
            .all([extraEnv, pulumi.output(managedEnv)])
            .apply(([extra, managed]) => ({ ...extra, ...managed }));
        const envs = secretEnvs(flagsmithEnv);

        const migrate = new docker.Container(
            `${name}-migrate`,
            {
                name: names.migrate,
                image: flagsmithImage.imageId,
                command: ["migrate"],
                envs,
                networksAdvanced: networks,
                restart: "no",
                // No healthcheck: a one-shot migration serves nothing to probe, and a health check inherited from the
                // image would report the container unhealthy while it migrates.
                healthcheck: { tests: ["NONE"] },
                // Wait for the command to exit on create; keep the exited container (see the class comment).
                attach: true,
                mustRun: false,
                logs: false,
            },
            { ...replaceable, dependsOn: [postgres], customTimeouts: { create: "30m" } },
        );
        // Resolves to the migrate container's ID only once it exited with 0 (throws otherwise). Used as a label on
        // `serve` and the task processor: they wait for it, and are re-created after every new migration.
        // A failed migration stays in the state as created (exit code included), so the message says how to re-run it.
        const migrated = pulumi
            .all([migrate.exitCode, migrate.id, migrate.name, migrate.urn])
            .apply(([code, id, n, urn]) => {
                assertMigrationSucceeded(code, n, urn, migrate);
                return id;
            });
        const migratedLabel = [{ label: "flagsmith.migrate-container-id", value: migrated }];

        const api = new docker.Container(
            `${name}-api`,
            {
                name: names.api,
                image: flagsmithImage.imageId,
                command: ["serve"],
                envs,
                labels: migratedLabel,
                networksAdvanced: networks,
                ports: [{ internal: FLAGSMITH_CONTAINER_PORT, external: apiPort, ip: bindAddress }],
                restart: "unless-stopped",
                ...flagsmithHealth(allowedHosts.apply((hosts) => apiHealthCheckCommand(healthCheckHost(hosts)))),
            },
            { ...replaceable, dependsOn: [migrate] },
        );

        const taskProcessor = new docker.Container(
            `${name}-task-processor`,
            {
                name: names.taskProcessor,
                image: flagsmithImage.imageId,
                command: ["run-task-processor"],
                envs,
                labels: migratedLabel,
                networksAdvanced: networks,
                restart: "unless-stopped",
                ...flagsmithHealth(taskProcessorHealthCheckCommand()),
            },
            { ...replaceable, dependsOn: [migrate] },
        );

        this.apiPort = apiPort;
        this.apiUrl = pulumi.all([bindAddress, apiPort]).apply(([a, p]) => publishedUrl(a, p));
        this.createSuperuserCommand = api.name.apply(createSuperuserCommand);
        this.postgresContainerName = postgres.name;
        this.migrateContainerName = migrate.name;
        this.apiContainerName = api.name;
        this.taskProcessorContainerName = taskProcessor.name;
        this.postgresVolumeName = volume.name;
        this.registerOutputs({
            apiUrl: this.apiUrl,
            createSuperuserCommand: this.createSuperuserCommand,
            apiPort: this.apiPort,
            postgresContainerName: this.postgresContainerName,
            migrateContainerName: this.migrateContainerName,
            apiContainerName: this.apiContainerName,
            taskProcessorContainerName: this.taskProcessorContainerName,
            postgresVolumeName: this.postgresVolumeName,
        });
    }
}
