// A fake Kubernetes API server for the providers' own port-forward (dynamic-providers/kubernetes-forward.ts): the pod
// listing and the WebSocket port-forward of `kubectl port-forward`, carried to a local TCP target (the InfluxDB
// stand-in or influxd) as if it were the pod's port. It speaks the protocol as the kubelet does
// (pkg/cri/streaming/portforward/websocket.go of k8s.io/kubelet v0.31.0): subprotocol `v4.channel.k8s.io`, channel 0
// data and 1 errors for the one port, each channel's first frame the port number as uint16 little-endian, every
// frame prefixed with its channel byte. One WebSocket per forwarded connection.
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer, WebSocket } from "ws";

/** A pod the fake lists. */
export interface FakePod {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    ready: boolean;
}

export interface FakeKubeApiOptions {
    readonly namespace: string;
    readonly pods: FakePod[];
    /** Where a forwarded connection goes: the pod's port. */
    readonly target: { readonly host: string; readonly port: number };
    /** The bearer token the fake accepts (the kubeconfig's user). */
    readonly token: string;
    /** Serve https with this key and certificate (PEM), as a real API server does; default plain http. */
    readonly tls?: { readonly key: string; readonly cert: string };
}

export class FakeKubeApi {
    /** `GET <path>` and `PORTFORWARD <pod>:<port>` per request, in order. */
    readonly requests: string[] = [];
    private constructor(
        private readonly server: http.Server,
        private readonly wss: WebSocketServer,
        readonly options: FakeKubeApiOptions,
    ) {}

    static async start(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
        const server = options.tls ? https.createServer(options.tls) : http.createServer();
        const wss = new WebSocketServer({
            noServer: true,
            handleProtocols: (protocols) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false),
        });
        const api = new FakeKubeApi(server, wss, options);
        server.on("request", (req, res) => api.onRequest(req, res));
        server.on("upgrade", (req, socket, head) => api.onUpgrade(req, socket as net.Socket, head));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return api;
    }

    get url(): string {
        return `${this.options.tls ? "https" : "http"}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /**
     * A kubeconfig (YAML) with one context, `fake`, whose cluster is this server: over TLS, trusting its certificate
     * through `certificate-authority-data` as a real cluster's kubeconfig does; over plain http, TLS checks off.
     */
    kubeconfig(context = "fake", token = this.options.token): string {
        return [
            "apiVersion: v1",
            "kind: Config",
            `current-context: ${context}`,
            "clusters:",
            `- name: fake-cluster`,
            this.options.tls
                ? `  cluster: {server: "${this.url}", certificate-authority-data: "${Buffer.from(this.options.tls.cert).toString("base64")}"}`
                : `  cluster: {server: "${this.url}", insecure-skip-tls-verify: true}`,
            "users:",
            `- name: fake-user`,
            `  user: {token: "${token}"}`,
            "contexts:",
            `- name: ${context}`,
            `  context: {cluster: fake-cluster, user: fake-user, namespace: default}`,
            "",
        ].join("\n");
    }

    async stop(): Promise<void> {
        for (const c of this.wss.clients) c.terminate();
        this.wss.close();
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private authorized(req: http.IncomingMessage): boolean {
        return req.headers.authorization === `Bearer ${this.options.token}`;
    }

    private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", this.url);
        this.requests.push(`${req.method} ${url.pathname}`);
        const status = (code: number, reason: string, message: string) => {
            res.writeHead(code, { "content-type": "application/json" });
            res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code }));
        };
        if (!this.authorized(req)) return status(401, "Unauthorized", "Unauthorized");
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
        if (req.method !== "GET" || !m)
            return status(404, "NotFound", "the server could not find the requested resource");
        const selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
        const items = m[1] !== this.options.namespace ? [] : this.options.pods.filter((p) => matches(p, selector));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
            JSON.stringify({
                kind: "PodList",
                apiVersion: "v1",
                metadata: { resourceVersion: "1" },
                items: items.map((p) => ({
                    metadata: { name: p.name, namespace: this.options.namespace, labels: p.labels },
                    status: {
                        phase: "Running",
                        conditions: [{ type: "Ready", status: p.ready ? "True" : "False" }],
                    },
                })),
            }),
        );
    }

    private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
        const url = new URL(req.url ?? "/", this.url);
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
        const port = Number(url.searchParams.get("ports"));
        const pod = m && m[1] === this.options.namespace ? this.options.pods.find((p) => p.name === m[2]) : undefined;
        if (!this.authorized(req) || !pod || !Number.isInteger(port)) {
            socket.end(`HTTP/1.1 ${this.authorized(req) ? "404 Not Found" : "401 Unauthorized"}\r\n\r\n`);
            return;
        }
        this.requests.push(`PORTFORWARD ${pod.name}:${port}`);
        this.wss.handleUpgrade(req, socket, head, (ws) => this.forward(ws, port));
    }

    private forward(ws: WebSocket, port: number): void {
        const portBytes = Buffer.alloc(2);
        portBytes.writeUInt16LE(port);
        ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
        ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
        const tcp = net.connect(this.options.target.port, this.options.target.host);
        tcp.on("data", (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
        tcp.on("error", (e) => {
            if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(e.message)]));
            ws.close();
        });
        tcp.on("close", () => ws.close());
        ws.on("message", (data: Buffer) => {
            if (data[0] === 0 && data.length > 1) tcp.write(data.subarray(1));
        });
        ws.on("close", () => tcp.end());
    }
}

function parseSelector(s: string): [string, string][] {
    return s
        .split(",")
        .filter((p) => p.includes("="))
        .map((p) => p.split("=", 2) as [string, string]);
}

function matches(pod: FakePod, selector: [string, string][]): boolean {
    return selector.every(([k, v]) => pod.labels[k] === v);
}
