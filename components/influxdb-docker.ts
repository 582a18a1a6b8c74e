/**
 * InfluxDB 2.x on a Docker engine: pinned image, named volumes for data (`/var/lib/influxdb2`) and config
 * (`/etc/influxdb2`), a user network where the container answers to `influxdb`, a healthcheck on `/health` that the
 * provider waits for, and first-boot setup (user, organization, bucket, retention, operator token) through the
 * image's `DOCKER_INFLUXDB_INIT_*` variables with a generated password and token.
 *
 * Physical names carry the stack (`influxdb-<stack>`, `influxdb-<stack>-data`, ...), so several stacks can share one
 * Docker host; each such stack then needs its own published `port`.
 *
 * The setup runs once, when the data volume is empty: changing the password or token afterwards does not change them
 * in the server (the container is recreated, the data volume keeps the old credentials).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { InfluxConnection, stackScopedName } from "./connection";
import { settingError } from "./errors";
import { adminCredentials, connectionOutputs, FirstBootArgs, firstBootSettings, lookUpOrgId } from "./influxdb-common";
import { checkInflux2Image, checkPort, DEFAULT_INFLUXDB_TAG, validated } from "./settings/validators";

/** Default image: a pinned 2.x tag (the official image's `latest` is InfluxDB 3). */
export const DEFAULT_DOCKER_IMAGE = `influxdb:${DEFAULT_INFLUXDB_TAG}`;
/** Port InfluxDB listens on inside the container and inside the network. */
export const INFLUXDB_CONTAINER_PORT = 8086;

/** First-boot fields reach the image as `DOCKER_INFLUXDB_INIT_*` variables. */
export interface DockerInfluxDBArgs extends FirstBootArgs {
    /** Image with an InfluxDB 2.x tag. Default `influxdb:2.7.12`. A tag that is not 2.x (e.g. `latest`) is rejected. */
    readonly image?: pulumi.Input<string>;
    /** Host port published for the API (container port 8086). Default 8086; 1-65535; unique per stack on a host. */
    readonly port?: pulumi.Input<number>;
    /** Host address the port is bound to. Default `127.0.0.1` (reachable from this machine only). */
    readonly bindAddress?: pulumi.Input<string>;
    /** Host name of the Docker host as seen by the machine running Pulumi, for `managementUrl`. Default `localhost`. */
    readonly host?: pulumi.Input<string>;
    /** Name of an existing user-defined network to join. Default: a new network `<name>-<stack>`. */
    readonly network?: pulumi.Input<string>;
    /** Seconds to wait for the container to become healthy. Default 120; positive. */
    readonly waitTimeout?: pulumi.Input<number>;
}

/** InfluxDB 2.x in a Docker container. */
export class DockerInfluxDB extends pulumi.ComponentResource implements InfluxConnection {
    public readonly internalUrl: pulumi.Output<string>;
    public readonly managementUrl: pulumi.Output<string>;
    public readonly org: pulumi.Output<string>;
    public readonly orgId: pulumi.Output<string>;
    public readonly adminToken: pulumi.Output<string>;
    public readonly initialBucket: pulumi.Output<string>;
    /** The data volume: deleting it deletes everything in the server (deleting the container alone does not). */
    public readonly server: docker.Volume;
    public readonly readiness: pulumi.Resource[];
    /** The network Flagsmith's containers must join to reach `http://influxdb-<stack>:8086`. */
    public readonly networkName: pulumi.Output<string>;
    /** Name of the container. */
    public readonly containerName: pulumi.Output<string>;
    /** Admin user created at first boot: the UI login. */
    public readonly username: pulumi.Output<string>;
    /** Its password, set at first boot. Always a secret. */
    public readonly adminPassword: pulumi.Output<string>;
    public readonly container: docker.Container;

    constructor(name: string, args: DockerInfluxDBArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:influxdb:DockerInfluxDB", name, {}, opts);
        const label = `DockerInfluxDB "${name}"`;
        const image = validated(args.image ?? DEFAULT_DOCKER_IMAGE, (v) => checkInflux2Image(v, `${label} image`));
        const port = validated(args.port ?? INFLUXDB_CONTAINER_PORT, (v) => checkPort(v, `${label} port`));
        const waitTimeout = validated(args.waitTimeout ?? 120, (v) => {
            if (!Number.isInteger(v) || v <= 0) {
                throw settingError(`${label} waitTimeout: must be a positive number of seconds, got ${v}.`);
            }
        });
        const { org, bucket, username, retention } = firstBootSettings(args, label);
        const dataOpts = { parent: this, protect: args.protectData ?? false, retainOnDelete: args.retainDataOnDelete };
        const base = stackScopedName(name);
        const labels = [
            { label: "org.flagsmith.pulumi.stack", value: pulumi.getStack() },
            { label: "org.flagsmith.pulumi.component", value: name },
        ];

        const { password, token } = adminCredentials(this, name, label, args, dataOpts.protect ?? false);

        const remoteImage = new docker.RemoteImage(
            `${name}-image`,
            // keepLocally: other stacks on the same host may use the image.
            { name: image, keepLocally: true },
            { parent: this },
        );
        const data = new docker.Volume(`${name}-data`, { name: `${base}-data`, labels }, dataOpts);
        const config = new docker.Volume(`${name}-config`, { name: `${base}-config`, labels }, dataOpts);
        const networkName =
            args.network !== undefined
                ? pulumi.output(args.network)
                : new docker.Network(`${name}-network`, { name: `${base}-network`, labels }, { parent: this }).name;

        const env = (key: string, value: pulumi.Input<string>) =>
            pulumi.interpolate`DOCKER_INFLUXDB_INIT_${key}=${value}`;
        this.container = new docker.Container(
            name,
            {
                name: base,
                image: remoteImage.imageId,
                envs: [
                    env("MODE", "setup"),
                    env("USERNAME", username),
                    env("PASSWORD", password),
                    env("ORG", org),
                    env("BUCKET", bucket),
                    env("RETENTION", retention),
                    env("ADMIN_TOKEN", token),
                ],
                ports: [{ internal: INFLUXDB_CONTAINER_PORT, external: port, ip: args.bindAddress ?? "127.0.0.1" }],
                volumes: [
                    { volumeName: data.name, containerPath: "/var/lib/influxdb2" },
                    { volumeName: config.name, containerPath: "/etc/influxdb2" },
                ],
                // Its DNS name on the network is the stack-scoped container name (`influxdb-<stack>`), so two stacks
                // sharing one network (influxdb.network) each reach their own InfluxDB.
                networksAdvanced: [{ name: networkName, aliases: [base] }],
                // curl is in both official variants (influxdb:2.7 on Debian, influxdb:2.7-alpine). During first-boot
                // setup the entrypoint runs a temporary server on port 9999, so /health on 8086 answers only once the
                // setup is done and the real server is up: "healthy" means ready for the API.
                healthcheck: {
                    tests: ["CMD", "curl", "-fsS", `http://localhost:${INFLUXDB_CONTAINER_PORT}/health`],
                    interval: "5s",
                    timeout: "3s",
                    startPeriod: "10s",
                    retries: 24,
                },
                wait: true,
                waitTimeout,
                restart: "unless-stopped",
                labels,
            },
            { parent: this },
        );

        this.server = data;
        this.readiness = [this.container];
        this.networkName = networkName;
        this.containerName = this.container.name;
        this.internalUrl = pulumi.output(`http://${base}:${INFLUXDB_CONTAINER_PORT}`);
        this.managementUrl = pulumi.interpolate`http://${args.host ?? "localhost"}:${port}`;
        this.org = pulumi.output(org);
        this.initialBucket = pulumi.output(bucket);
        this.adminToken = pulumi.secret(token);
        this.orgId = lookUpOrgId(this, name, this);
        this.username = pulumi.output(username);
        this.adminPassword = pulumi.secret(password);

        this.registerOutputs({
            ...connectionOutputs(this),
            networkName: this.networkName,
            containerName: this.containerName,
            username: this.username,
            adminPassword: this.adminPassword,
        });
    }
}
