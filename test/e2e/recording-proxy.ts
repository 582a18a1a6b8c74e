// A recording HTTP proxy in front of the real influxd: the suite and `npm run bench:real` count the requests each
// Pulumi command sends, without trusting the program's own view of what it did.
import * as http from "http";
import * as net from "net";

export interface RecordedRequest {
    readonly method: string;
    /** Path without the query string, e.g. `/api/v2/buckets`. */
    readonly path: string;
    readonly status: number;
}

export interface RecordingProxy {
    readonly url: string;
    /** Everything received since the last `take()`. */
    readonly requests: readonly RecordedRequest[];
    /** Returns the requests recorded so far and starts a new record. */
    take(): RecordedRequest[];
    /**
     * The next request to `method path` reaches influxd and is applied, but its answer is lost: the proxy resets the
     * client's connection instead of answering (as a restart or a broken port-forward does).
     */
    loseNextAnswer(method: string, path: string): void;
    /** The answers still to be lost (`method path`). */
    readonly toLose: readonly string[];
    /** Sends what follows to another server (`http://host:port`): a new server behind the same URL. */
    retarget(target: string): void;
    close(): Promise<void>;
}

/** Listens on a loopback port and forwards every request to `target` (an `http://host:port` URL). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
    let to = new URL(target);
    let requests: RecordedRequest[] = [];
    const losing: string[] = [];
    const server = http.createServer((req, res) => {
        const key = `${req.method} ${(req.url ?? "/").split("?")[0]}`;
        const lose = losing.indexOf(key);
        if (lose >= 0) losing.splice(lose, 1);
        const upstream = http.request(
            {
                host: to.hostname,
                port: to.port,
                method: req.method,
                path: req.url,
                headers: { ...req.headers, host: to.host },
            },
            (up) => {
                requests.push({
                    method: req.method ?? "GET",
                    path: (req.url ?? "/").split("?")[0],
                    status: up.statusCode ?? 0,
                });
                if (lose >= 0) {
                    up.resume();
                    up.on("end", () => req.socket.destroy());
                    return;
                }
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
            },
        );
        upstream.on("error", () => {
            // The server is gone: close the client's connection as a stopped server would (refused/reset), rather
            // than answering with a status the real server never sends.
            requests.push({ method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0], status: 0 });
            req.socket.destroy();
        });
        req.pipe(upstream);
    });
    const sockets = new Set<net.Socket>();
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        get requests() {
            return requests;
        },
        take() {
            const taken = requests;
            requests = [];
            return taken;
        },
        loseNextAnswer(method, path) {
            losing.push(`${method} ${path}`);
        },
        get toLose() {
            return [...losing];
        },
        retarget(next) {
            to = new URL(next);
            // Kept-alive connections to the proxy stay; each request is forwarded anew, to the new target.
        },
        close: async () => {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
