// A real influxd 2.7 for the end-to-end suite: started in a temporary folder on a loopback port, set up through
// `POST /api/v2/setup` as the Docker image's first boot does, stopped and removed at the end.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface Influxd {
    /** `http://127.0.0.1:<port>`. */
    readonly url: string;
    readonly org: string;
    readonly orgId: string;
    /** The operator token created by the setup. */
    readonly token: string;
    /** The bucket created by the setup (Flagsmith's raw bucket in the Docker deployment). */
    readonly bucket: string;
    /** Where influxd keeps its data and log (`influxd.log`). */
    readonly dir: string;
    stop(): Promise<void>;
}

/** A free loopback TCP port (asked of the kernel, then released for the caller to bind). */
export async function freePort(): Promise<number> {
    return await new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

async function waitForHealth(url: string, proc: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) {
            throw new Error(`influxd exited with ${proc.exitCode}; its log (${logFile}):\n${tail(logFile)}`);
        }
        try {
            const res = await fetch(`${url}/health`);
            if (res.ok) return;
            last = `HTTP ${res.status}`;
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`influxd did not answer /health within ${timeoutMs} ms (${last}); its log:\n${tail(logFile)}`);
}

function tail(file: string): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
    } catch {
        return "(no log)";
    }
}

export interface StartOptions {
    readonly influxd: string;
    readonly org?: string;
    readonly bucket?: string;
    readonly token?: string;
}

/** Starts influxd and runs its first-boot setup. */
export async function startInfluxd(opts: StartOptions): Promise<Influxd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-influxd-"));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logFile = path.join(dir, "influxd.log");
    const log = fs.openSync(logFile, "a");
    const proc = spawn(
        opts.influxd,
        [
            "--reporting-disabled",
            `--http-bind-address=127.0.0.1:${port}`,
            `--bolt-path=${path.join(dir, "influxd.bolt")}`,
            `--sqlite-path=${path.join(dir, "influxd.sqlite")}`,
            `--engine-path=${path.join(dir, "engine")}`,
            "--log-level=info",
        ],
        // A HOME of its own: influxd reads no config or credentials of the user running the tests.
        { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir }, stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    const stop = async (): Promise<void> => {
        if (proc.exitCode === null) {
            const exited = new Promise((r) => proc.once("exit", r));
            proc.kill("SIGTERM");
            const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitForHealth(url, proc, logFile, 60_000);
        const org = opts.org ?? "e2e";
        const bucket = opts.bucket ?? "default";
        const token = opts.token ?? "e2e-operator-token-" + Math.random().toString(36).slice(2);
        const res = await fetch(`${url}/api/v2/setup`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username: "admin", password: "e2e-password", org, bucket, token }),
        });
        const body = (await res.json()) as { org?: { id: string }; message?: string };
        if (res.status !== 201 || !body.org) throw new Error(`setup answered ${res.status}: ${JSON.stringify(body)}`);
        return { url, org, orgId: body.org.id, token, bucket, dir, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}
