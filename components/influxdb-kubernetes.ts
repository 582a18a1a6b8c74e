/**
 * InfluxDB 2.x on Kubernetes with InfluxData's `influxdb2` Helm chart (pinned to 2.1.2, https://helm.influxdata.com/),
 * in its own stack-scoped Namespace, with the admin password and operator token in a Pulumi-managed Secret that the
 * chart uses through `adminUser.existingSecret` (so they never appear in Helm values or the release history).
 *
 * Why `helm.v3.Release` rather than `helm.v4.Chart`:
 * - Readiness. Release installs like `helm install --wait` (`skipAwait: false`): it completes only when the workload
 *   is ready, i.e. when the chart's readinessProbe on `/health` passes, which for the 2.x image also means the
 *   first-boot setup (`DOCKER_INFLUXDB_INIT_MODE=setup`) is done. That one custom resource is the `readiness` the
 *   Organization lookup and every later API call wait for. v4.Chart awaits each rendered object too, but it is a
 *   remote component whose children the provider creates: `dependsOn: chart` then relies on the engine expanding
 *   the component to its children, and the component has no single "ready" moment of its own.
 * - Helm semantics. Release runs Helm itself, so the chart behaves as with `helm install`: hooks (if this or a later
 *   chart version has any) run in Helm's order, and template functions such as `lookup` see the cluster. v4.Chart
 *   renders client-side like `helm template`: `lookup` returns nothing and hook objects are applied as plain objects.
 * - Operations. `helm list`/`helm history`/`helm rollback` keep working. Uninstalling the release removes the server,
 *   which makes the Release the `server` that resources inside InfluxDB are `deletedWith`; the chart keeps its PVC
 *   (`helm.sh/resource-policy: keep`, templates/persistent-volume-claim.yaml of influxdb2 2.1.2), which goes with the
 *   stack's own namespace (an existing namespace given as `influxdb.namespace` keeps it: delete it by hand).
 * - The cost: `pulumi preview` shows the Release and a diff of its values, not each rendered Deployment, Service or
 *   PVC (v4.Chart would). Render locally when that detail matters:
 *   `helm template influxdb influxdb2 --repo https://helm.influxdata.com/ --version 2.1.2 -f values.yaml`.
 *
 * Reaching the API from the machine running Pulumi: the service is ClusterIP, so by default the providers open a
 * port-forward of their own through the Kubernetes API to a ready InfluxDB pod (dynamic-providers/kubernetes-forward.ts),
 * with the kubeconfig and context the Kubernetes provider uses (`kubernetes:kubeconfig`, `kubernetes:context`, else
 * $KUBECONFIG or ~/.kube/config): `pulumi up` alone works, no `kubectl port-forward`. Set `managementUrl` instead for
 * an address Pulumi reaches directly: an ingress (`extraValues: { ingress: { enabled: true, hostname: ... } }`), a
 * LoadBalancer or a NodePort (`extraValues: { service: { type: "LoadBalancer" } }`). `portForwardCommand` is for a
 * person (the InfluxDB UI).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartKeysFile, isPlainObject, validateChartValues } from "./chart-values";
import { InfluxConnection, stackScopedName } from "./connection";
import { settingError } from "./errors";
import { adminCredentials, connectionOutputs, FirstBootArgs, firstBootSettings, lookUpOrgId } from "./influxdb-common";
import {
    checkHttpUrl,
    checkInflux2Tag,
    checkQuantity,
    DEFAULT_INFLUXDB_TAG,
    isDnsLabel,
    validated,
} from "./settings/validators";
import { compact } from "../dynamic-providers/common";
import type { KubernetesAccess } from "../dynamic-providers/kubernetes-forward";

/** The chart: name, pinned version, repository. */
export const INFLUXDB2_CHART = {
    chart: "influxdb2",
    version: "2.1.2",
    repo: "https://helm.influxdata.com/",
} as const;

/**
 * What `extraValues` are checked against by default: the key tree of this chart version's `values.yaml`
 * (https://github.com/influxdata/helm-charts, tag influxdb2-2.1.2), committed as
 * `components/chart-keys/influxdb2-2.1.2.json` (see ./chart-values). Override with `chartValuesFile`.
 */
export const INFLUXDB2_CHART_KEYS_FILE = chartKeysFile(INFLUXDB2_CHART.chart, INFLUXDB2_CHART.version);

/** Service port set on the chart (its default is 80), so the in-cluster URL carries InfluxDB's usual 8086. */
export const INFLUXDB_SERVICE_PORT = 8086;

/** Maps whose keys the values file shows only as examples: any key is accepted below them. */
const FREE_FORM_VALUES = ["initScripts.scripts"];

/** Values this component owns: set them through the typed arguments, not `extraValues`. */
const RESERVED_VALUES: Record<string, string> = {
    "adminUser.existingSecret": "the component manages the admin Secret",
    "adminUser.password": "use the adminPassword argument (a secret)",
    "adminUser.token": "use the adminToken argument (a secret)",
};

export interface KubernetesInfluxDBImageArgs {
    /** Image repository (`influxdb2.image.repository`). Default `influxdb`. */
    readonly repository?: pulumi.Input<string>;
    /** Image tag (`influxdb2.image.tag`), InfluxDB 2.x only. Default `2.7.12`. */
    readonly tag?: pulumi.Input<string>;
    /** Pull policy (`influxdb2.image.imagePullPolicy` in the Flagsmith docs; chart key `image.pullPolicy`). */
    readonly pullPolicy?: pulumi.Input<"Always" | "IfNotPresent" | "Never">;
    /** Names of image pull Secrets (`influxdb2.image.imagePullSecrets`; chart key `image.pullSecrets`). */
    readonly pullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface KubernetesInfluxDBPersistenceArgs {
    /** Keep data in a PersistentVolumeClaim (`persistence.enabled`). Default true (the Flagsmith docs say false). */
    readonly enabled?: pulumi.Input<boolean>;
    /** Size of the claim, a Kubernetes quantity (`persistence.size`). Default: the chart's 50Gi. */
    readonly size?: pulumi.Input<string>;
    /** Storage class (`persistence.storageClass`; `-` for none). Default: the cluster's default class. */
    readonly storageClass?: pulumi.Input<string>;
}

/**
 * First-boot fields ({@link FirstBootArgs}) and the chart values they land in (Flagsmith docs' names):
 * - `org`: `influxdb2.adminUser.organization`
 * - `bucket`: `influxdb2.adminUser.bucket`
 * - `username`: `influxdb2.adminUser.user` (spelled `inflxdb2.adminUser.user` in the docs)
 * - `retention`: `adminUser.retention_policy`
 * - `adminPassword`, `adminToken`: `influxdb2.adminUser.password` and `.token`, passed through the component's
 *   Secret (`adminUser.existingSecret`)
 */
export interface KubernetesInfluxDBArgs extends FirstBootArgs {
    /** Namespace created for InfluxDB. Default `<name>-<stack>` (DNS label, at most 63 characters). */
    readonly namespace?: pulumi.Input<string>;
    /** Helm release name, at most 53 characters. Default `influxdb`. */
    readonly releaseName?: pulumi.Input<string>;
    /** Chart `nameOverride` (`influxdb2.nameOverride`). Default `influxdb`: the service is then `influxdb`. */
    readonly nameOverride?: pulumi.Input<string>;
    /** Image settings (`influxdb2.image.*`). */
    readonly image?: KubernetesInfluxDBImageArgs;
    /** Persistence (`influxdb2.persistence.*`). */
    readonly persistence?: KubernetesInfluxDBPersistenceArgs;
    /** Pod resources (`influxdb.resources` in the docs; chart key `resources`). Default none. */
    readonly resources?: pulumi.Input<k8s.types.input.core.v1.ResourceRequirements>;
    /** Node selector (`influxdb.nodeSelector`; chart key `nodeSelector`). Default none. */
    readonly nodeSelector?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Tolerations (`influxdb.tolerations`; chart key `tolerations`). Default none. */
    readonly tolerations?: pulumi.Input<pulumi.Input<k8s.types.input.core.v1.Toleration>[]>;
    /** Affinity (`influxdb.affinity`; chart key `affinity`). Default none. */
    readonly affinity?: pulumi.Input<k8s.types.input.core.v1.Affinity>;
    /**
     * Further chart values, merged last. Plain object (its keys are checked against the chart's values file at
     * construction); values inside may be Inputs. Admin credentials are not accepted here.
     */
    readonly extraValues?: Record<string, unknown>;
    /**
     * What `extraValues` are checked against: a chart's values.yaml (`.yaml`/`.yml`, e.g. of a newer chart version)
     * or a key tree (`.json`). Default: {@link INFLUXDB2_CHART_KEYS_FILE}.
     */
    readonly chartValuesFile?: string;
    /** URL of the API from the machine running Pulumi. Default: none, the providers' own port-forward (see above). */
    readonly managementUrl?: pulumi.Input<string>;
    /** Kubeconfig (contents or path) of that port-forward. Default `kubernetes:kubeconfig`, else the default one. */
    readonly kubeconfig?: pulumi.Input<string>;
    /** Kubeconfig context of that port-forward. Default `kubernetes:context`, else the current context. */
    readonly kubeContext?: pulumi.Input<string>;
    /** Seconds Helm waits for the release to be ready. Default 600; positive. */
    readonly timeout?: pulumi.Input<number>;
}

/**
 * The chart's `influxdb.fullname` (templates/_helpers.tpl): `fullnameOverride`, else the release name if it contains
 * the chart name (or `nameOverride`), else `<release>-<name>`; truncated to 63 characters, trailing `-` trimmed.
 */
export function influxdb2Fullname(releaseName: string, nameOverride?: string, fullnameOverride?: string): string {
    const trim = (s: string) => s.substring(0, 63).replace(/-+$/, "");
    if (fullnameOverride) {
        return trim(fullnameOverride);
    }
    const name = nameOverride || INFLUXDB2_CHART.chart;
    return trim(releaseName.includes(name) ? releaseName : `${releaseName}-${name}`);
}

/** The influxdb2 chart's API port in the pod (templates/statefulset.yaml of influxdb2 2.1.2). */
export const INFLUXDB_CONTAINER_PORT = 8086;

/** The label selector of the chart's pods: `influxdb.selectorLabels` (templates/_helpers.tpl of influxdb2 2.1.2). */
export function influxdb2PodSelector(releaseName: string, nameOverride?: string): string {
    const name = (nameOverride || INFLUXDB2_CHART.chart).substring(0, 63).replace(/-+$/, "");
    return `app.kubernetes.io/name=${name},app.kubernetes.io/instance=${releaseName}`;
}

/** InfluxDB 2.x from the influxdb2 Helm chart. */
export class KubernetesInfluxDB extends pulumi.ComponentResource implements InfluxConnection {
    public readonly internalUrl: pulumi.Output<string>;
    public readonly managementUrl: pulumi.Output<string>;
    public readonly kubernetesAccess?: pulumi.Output<KubernetesAccess>;
    public readonly org: pulumi.Output<string>;
    public readonly orgId: pulumi.Output<string>;
    public readonly adminToken: pulumi.Output<string>;
    public readonly initialBucket: pulumi.Output<string>;
    /** The Helm release: uninstalling it removes the server (its PVC stays until the namespace goes). */
    public readonly server: k8s.helm.v3.Release;
    public readonly readiness: pulumi.Resource[];
    /** Namespace of the release. */
    public readonly namespace: pulumi.Output<string>;
    /** Name of the chart's Service. */
    public readonly serviceName: pulumi.Output<string>;
    /** `kubectl port-forward` command for a person (the InfluxDB UI at http://localhost:8086); Pulumi needs none. */
    public readonly portForwardCommand: pulumi.Output<string>;
    /** Name of the Secret holding `admin-password` and `admin-token`. */
    public readonly adminSecretName: pulumi.Output<string>;
    /** Admin user created at first boot: the UI login. */
    public readonly username: pulumi.Output<string>;
    /** Its password, set at first boot. Always a secret. */
    public readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: KubernetesInfluxDBArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:influxdb:KubernetesInfluxDB", name, {}, opts);
        const label = `KubernetesInfluxDB "${name}"`;
        const dataOpts = { parent: this, protect: args.protectData ?? false, retainOnDelete: args.retainDataOnDelete };
        const extraValues = args.extraValues ?? {};
        for (const [key, why] of Object.entries(RESERVED_VALUES)) {
            const [head, tail] = key.split(".");
            const section = extraValues[head];
            if (isPlainObject(section) && tail in section) {
                throw settingError(`${label} extraValues: "${key}" cannot be set here: ${why}.`);
            }
        }
        if (Object.keys(extraValues).length > 0) {
            try {
                validateChartValues(extraValues, args.chartValuesFile ?? INFLUXDB2_CHART_KEYS_FILE, {
                    freeForm: FREE_FORM_VALUES,
                });
            } catch (err) {
                // Name the setting: the bare message names only the chart key.
                throw settingError(`${label} extraValues: ${(err as Error).message}`);
            }
        }

        const releaseName = validated(args.releaseName ?? "influxdb", (v) => {
            if (!isDnsLabel(v, 53)) {
                throw settingError(`${label} releaseName: "${v}" must be a DNS label of at most 53 characters.`);
            }
        });
        const nameOverride = args.nameOverride ?? "influxdb";
        const tag = validated(args.image?.tag ?? DEFAULT_INFLUXDB_TAG, (v) => checkInflux2Tag(v, `${label} image.tag`));
        const { org, bucket, username, retention } = firstBootSettings(args, label);
        const size = args.persistence?.size;
        const managementUrl =
            args.managementUrl === undefined
                ? undefined
                : validated(args.managementUrl, (v) => checkHttpUrl(v, `${label} managementUrl`));
        const timeout = validated(args.timeout ?? 600, (v) => {
            if (!Number.isInteger(v) || v <= 0) {
                throw settingError(`${label} timeout: must be a positive number of seconds, got ${v}.`);
            }
        });

        const { password, token } = adminCredentials(this, name, label, args, dataOpts.protect ?? false);

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace ?? stackScopedName(name, { dns: true, max: 63 }),
                    labels: {
                        "app.kubernetes.io/part-of": "flagsmith",
                        "flagsmith.com/pulumi-stack": pulumi.getStack(),
                    },
                },
            },
            dataOpts,
        );
        this.namespace = ns.metadata.name;

        const secret = new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                // Not `<fullname>-auth`, the name the chart would use for its own Secret.
                metadata: { name: pulumi.interpolate`${releaseName}-admin-credentials`, namespace: this.namespace },
                type: "Opaque",
                stringData: { "admin-password": password, "admin-token": token },
            },
            // Retained with the data: the kept StatefulSet reads it to start, and it holds the token the kept
            // server's first boot stored (the next stack reuses it: README, Troubleshooting).
            dataOpts,
        );
        this.adminSecretName = secret.metadata.name;

        const image: Record<string, unknown> = {
            repository: args.image?.repository ?? "influxdb",
            tag,
            pullPolicy: args.image?.pullPolicy ?? "IfNotPresent",
        };
        if (args.image?.pullSecrets !== undefined) {
            image.pullSecrets = args.image.pullSecrets;
        }
        const persistence: Record<string, unknown> = { enabled: args.persistence?.enabled ?? true };
        if (size !== undefined) {
            persistence.size = validated(size, (v) => checkQuantity(v, `${label} persistence.size`));
        }
        if (args.persistence?.storageClass !== undefined) {
            persistence.storageClass = args.persistence.storageClass;
        }
        const values = deepMerge(
            compact({
                nameOverride,
                image,
                adminUser: {
                    organization: org,
                    bucket,
                    user: username,
                    retention_policy: retention,
                    existingSecret: secret.metadata.name,
                },
                persistence,
                resources: args.resources,
                nodeSelector: args.nodeSelector,
                tolerations: args.tolerations,
                affinity: args.affinity,
                service: { port: INFLUXDB_SERVICE_PORT },
                // The chart's PodDisruptionBudget (pdb.create, minAvailable: 1) over a single replica forbids every
                // eviction, so it blocks node drains; off unless extraValues turn it back on.
                pdb: { create: false },
            }),
            extraValues,
        );

        this.server = new k8s.helm.v3.Release(
            name,
            {
                name: releaseName,
                chart: INFLUXDB2_CHART.chart,
                version: INFLUXDB2_CHART.version,
                repositoryOpts: { repo: INFLUXDB2_CHART.repo },
                namespace: this.namespace,
                values,
                skipAwait: false,
                timeout,
                maxHistory: 10,
            },
            dataOpts,
        );
        this.readiness = [this.server];

        const fullnameOverride = (extraValues.fullnameOverride as pulumi.Input<string> | undefined) ?? "";
        const servicePort = (values.service as Record<string, unknown>).port as pulumi.Input<number>;
        this.serviceName = pulumi
            .all([releaseName, nameOverride, fullnameOverride])
            .apply(([r, n, f]) => influxdb2Fullname(r, n, f));
        this.internalUrl = pulumi.interpolate`http://${this.serviceName}.${this.namespace}.svc.cluster.local:${servicePort}`;
        this.portForwardCommand = pulumi.interpolate`kubectl -n ${this.namespace} port-forward svc/${this.serviceName} ${INFLUXDB_SERVICE_PORT}:${servicePort}`;
        if (managementUrl === undefined) {
            // The providers' own port-forward to the chart's pods (selector labels: influxdb.selectorLabels in
            // templates/_helpers.tpl, container port 8086 in templates/statefulset.yaml of influxdb2 2.1.2).
            const k8sConfig = new pulumi.Config("kubernetes");
            this.managementUrl = this.internalUrl;
            this.kubernetesAccess = pulumi
                .all([
                    args.kubeconfig ?? k8sConfig.getSecret("kubeconfig") ?? "",
                    args.kubeContext ?? k8sConfig.get("context") ?? "",
                    this.namespace,
                    releaseName,
                    nameOverride,
                ])
                .apply(([kubeconfig, context, namespace, release, n]) =>
                    compact({
                        kubeconfig: kubeconfig || undefined,
                        context: context || undefined,
                        namespace,
                        podSelector: influxdb2PodSelector(release, n),
                        port: INFLUXDB_CONTAINER_PORT,
                    }),
                );
        } else {
            this.managementUrl = pulumi.output(managementUrl);
        }
        this.org = pulumi.output(org);
        this.initialBucket = pulumi.output(bucket);
        this.adminToken = pulumi.secret(token);
        this.orgId = lookUpOrgId(this, name, this);
        this.username = pulumi.output(username);
        this.adminPassword = pulumi.secret(password);

        this.registerOutputs({
            ...connectionOutputs(this),
            namespace: this.namespace,
            serviceName: this.serviceName,
            portForwardCommand: this.portForwardCommand,
            adminSecretName: this.adminSecretName,
            username: this.username,
            adminPassword: this.adminPassword,
        });
    }
}

/** Merge `extra` into `base` (plain objects merged key by key, anything else replaced). */
function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(extra)) {
        out[k] = isPlainObject(out[k]) && isPlainObject(v) ? deepMerge(out[k], v) : v;
    }
    return out;
}
