// Reaching an InfluxDB that runs inside a Kubernetes cluster from where Pulumi runs, without `kubectl port-forward`:
// a local listener whose every connection is carried to a ready InfluxDB pod through the Kubernetes API's
// port-forward (the WebSocket protocol of `kubectl port-forward`), with the kubeconfig and context the Kubernetes
// provider uses. @kubernetes/client-node does the Kubernetes side (kubeconfig, auth, pod listing, the protocol).
import * as net from "node:net";
import { Writable } from "node:stream";
import type { WebSocket } from "ws";

/** Where an in-cluster InfluxDB is, for the port-forward. */
export interface KubernetesAccess {
    /**
     * Kubeconfig: its contents (YAML or JSON) or a file path, like the Kubernetes provider's `kubernetes:kubeconfig`.
     * Empty: the provider's default ($KUBECONFIG, else ~/.kube/config).
     */
    readonly kubeconfig?: string;
    /** Context of the kubeconfig (`kubernetes:context`). Empty: its current context. */
    readonly context?: string;
    /** Namespace of InfluxDB's pods. */
    readonly namespace: string;
    /** Label selector of InfluxDB's pods, e.g. `app.kubernetes.io/name=influxdb,app.kubernetes.io/instance=influxdb`. */
    readonly podSelector: string;
    /** The API's container port (the influxdb2 chart's `http` port, 8086). */
    readonly port: number;
}

/** Whether a `kubernetes:kubeconfig` value is the file's contents rather than its path (the provider's own test). */
export function isKubeconfigContents(kubeconfig: string): boolean {
    return /\n/.test(kubeconfig.trim()) || /^\s*[{]/.test(kubeconfig) || /^\s*apiVersion:/.test(kubeconfig);
}

/** Local listeners of this process, by access; each lives as long as the process (it does not keep it alive). */
const forwards = new Map<string, Promise<string>>();

/**
 * The local base URL (`http://127.0.0.1:<port>`) whose connections reach the in-cluster InfluxDB of `access`. A
 * connection made while no pod is ready is answered with a 503 naming the namespace and selector, which the client's
 * readiness wait retries like a server that is still starting.
 */
export function forwardedUrl(access: KubernetesAccess): Promise<string> {
    const key = JSON.stringify([
        access.kubeconfig ?? "",
        access.context ?? "",
        access.namespace,
        access.podSelector,
        access.port,
    ]);
    let url = forwards.get(key);
    if (!url) {
        url = openForward(access);
        forwards.set(key, url);
        url.catch(() => forwards.delete(key));
    }
    return url;
}

type ClientNode = typeof import("@kubernetes/client-node");

async function openForward(access: KubernetesAccess): Promise<string> {
    // ESM package, loaded when a stack needs it (Node 22 loads it with require).
    const k8s = require("@kubernetes/client-node") as ClientNode;
    const kc = new k8s.KubeConfig();
    if (!access.kubeconfig) {
        kc.loadFromDefault();
    } else if (isKubeconfigContents(access.kubeconfig)) {
        kc.loadFromString(access.kubeconfig);
    } else {
        kc.loadFromFile(access.kubeconfig);
    }
    if (access.context) {
        kc.setCurrentContext(access.context);
    }
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const portForward = new k8s.PortForward(kc, true);
    const server = net.createServer((socket) => {
        socket.pause();
        void carry(socket, access, core, portForward);
    });
    server.unref();
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Carries one local connection to a ready pod, or answers 503 when there is none (yet). */
async function carry(
    socket: net.Socket,
    access: KubernetesAccess,
    core: InstanceType<ClientNode["CoreV1Api"]>,
    portForward: InstanceType<ClientNode["PortForward"]>,
): Promise<void> {
    socket.on("error", () => socket.destroy());
    let pod: string | undefined;
    try {
        pod = readyPod(
            await core.listNamespacedPod({ namespace: access.namespace, labelSelector: access.podSelector }),
        );
    } catch (e) {
        const status = (e as { code?: unknown }).code;
        if (status === 401 || status === 403) {
            // Credentials do not come right by waiting: said at once (a 500 with an error code is not retried).
            refused(
                socket,
                `the Kubernetes API refused to list pods in namespace ${access.namespace} (HTTP ${status}): the ` +
                    "kubeconfig's user needs get and list on pods and create on pods/portforward there",
            );
        } else {
            unavailable(socket, `cannot list InfluxDB's pods through the Kubernetes API: ${describe(e)}`);
        }
        return;
    }
    if (!pod) {
        unavailable(
            socket,
            `no ready InfluxDB pod in namespace ${access.namespace} with labels ${access.podSelector} (yet)`,
        );
        return;
    }
    const errors = new Writable({
        write(chunk: Buffer, _enc, done) {
            // The kubelet's error channel: a message means the pod's port could not be reached.
            if (chunk.length > 0) socket.destroy();
            done();
        },
    });
    try {
        // Without retries (the last argument), portForward answers the WebSocket itself (the `ws` package's, in Node).
        const ws = (await portForward.portForward(
            access.namespace,
            pod,
            [access.port],
            socket,
            errors,
            socket,
        )) as WebSocket;
        ws.on("close", () => socket.end());
        socket.on("close", () => ws.close());
        // Paused until the forward was open; a `data` listener does not resume a stream paused explicitly.
        socket.resume();
    } catch (e) {
        unavailable(socket, `cannot open a port-forward to pod ${access.namespace}/${pod}: ${describe(e)}`);
    }
}

/** The name of the first pod that is Running and Ready, from a PodList. */
export function readyPod(list: {
    items?: readonly {
        metadata?: { name?: string; deletionTimestamp?: unknown };
        status?: { phase?: string; conditions?: readonly { type?: string; status?: string }[] };
    }[];
}): string | undefined {
    const ready = (list.items ?? []).find(
        (p) =>
            p.status?.phase === "Running" &&
            !p.metadata?.deletionTimestamp &&
            (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    );
    return ready?.metadata?.name;
}

/** Answers the local connection with a 503 that InfluxDB's client reads as a server not ready yet. */
function unavailable(socket: net.Socket, message: string): void {
    answer(socket, "503 Service Unavailable", "unavailable", message);
}

/** Answers the local connection with a refusal that is not retried (retry.ts: a 500 with an error code). */
function refused(socket: net.Socket, message: string): void {
    answer(socket, "500 Internal Server Error", "kubernetes api refused", message);
}

function answer(socket: net.Socket, status: string, code: string, message: string): void {
    const body = JSON.stringify({ code, message: `port-forward: ${message}` });
    socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `Connection: close\r\n\r\n${body}`,
    );
}

function describe(e: unknown): string {
    return (e as { message?: string }).message ?? String(e);
}
