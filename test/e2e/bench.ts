// `npm run bench:real`: figures from the real engine. The real Pulumi CLI runs the program (platform external,
// Flagsmith disabled) against a real influxd 2.7.12 behind a recording proxy, and the same commands on an empty program
// in the same project: the engine's own floor. One run measures, per command, the wall time of both and the requests
// influxd received. It asserts nothing about time; it prints the table and writes bench-real-results.json.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { E2EStack, makeProject, PROJECT_NAME } from "./engine";
import { startInfluxd } from "./influxd";
import { startRecordingProxy } from "./recording-proxy";
import { findRealTools, PROJECT_ROOT } from "./tools";

interface Row {
    command: string;
    programMs: number;
    floorMs: number;
    requests: number;
    writes: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
    const found = findRealTools();
    if (!found.tools) {
        console.error(`bench:real needs the real tools (${found.missing.join("; ")}): run npm run e2e:tools`);
        process.exit(2);
    }
    const tools = found.tools;
    const influx = await startInfluxd({ influxd: tools.influxd, org: "bench", bucket: "default" });
    const proxy = await startRecordingProxy(influx.url);
    const project = await makeProject(tools);
    try {
        fs.mkdirSync(path.join(project.home, ".pulumi-flagsmith-influxdb"));
        const program = await project.stack("bench", {
            platform: { value: "external" },
            bucket: { value: "default" },
            "influxdb.url": { value: proxy.url },
            "influxdb.org": { value: "bench" },
            "influxdb.bucket": { value: "default" },
            influxdbToken: { value: influx.token, secret: true },
            "flagsmith.enabled": { value: "false" },
        });
        const floor = new E2EStack(
            await LocalWorkspace.createOrSelectStack(
                { stackName: "floor", projectName: PROJECT_NAME, program: async () => ({}) },
                { workDir: project.dir, envVars: project.env, pulumiCommand: project.command },
            ),
        );
        const commands: [string, (s: E2EStack) => Promise<unknown>][] = [
            ["preview (empty stack)", (s) => s.preview()],
            ["up (create)", (s) => s.up()],
            ["preview (no-op)", (s) => s.preview({ expectNoChanges: true })],
            ["up (no-op)", (s) => s.up({ expectNoChanges: true })],
            ["refresh", (s) => s.refresh({ expectNoChanges: true })],
            ["destroy", (s) => s.destroy()],
        ];
        const rows: Row[] = [];
        for (const [command, run] of commands) {
            const floorMs = await timed(() => run(floor));
            proxy.take();
            const programMs = await timed(() => run(program));
            const reqs = proxy.take();
            rows.push({
                command,
                programMs: Math.round(programMs),
                floorMs: Math.round(floorMs),
                requests: reqs.length,
                writes: reqs.filter((r) => r.method !== "GET").length,
            });
        }
        const header = ["command", "program ms", "empty program ms", "influxd requests", "writes"];
        const table = [header, ...rows.map((r) => [r.command, r.programMs, r.floorMs, r.requests, r.writes])];
        const widths = header.map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
        for (const row of table) {
            console.log(
                row.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  "),
            );
        }
        const out = path.join(PROJECT_ROOT, "bench-real-results.json");
        fs.writeFileSync(
            out,
            JSON.stringify({ date: new Date().toISOString(), pulumi: tools.pulumiVersion, rows }, null, 2) + "\n",
        );
        console.log(`written: ${out}`);
    } finally {
        await proxy.close();
        await influx.stop();
        project.dispose();
    }
}

main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
});
