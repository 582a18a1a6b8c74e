// `npm run bench`: speed and cost figures (printed, never asserted). Runs offline against the API stand-in.
import * as pulumi from "@pulumi/pulumi";
import { performance } from "perf_hooks";
import { Bucket, Task } from "../../dynamic-providers";
import { analyzeFlux, resetFluxAnalyzer } from "../../dynamic-providers/flux-analyzer";
import { defaultDownsamplingTasks, renderDownsamplingFlux } from "../../components/downsampling";
import { captureDynamicResources, Engine, ProviderHost } from "../harness/provider-host";
import { startTestTarget } from "../harness/influx-standin";

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
    const start = performance.now();
    const result = await fn();
    return [result, performance.now() - start];
}

const rows: [string, string][] = [];
const report = (label: string, value: string) => rows.push([label, value]);

async function main(): Promise<void> {
    const scripts = defaultDownsamplingTasks("default").map(renderDownsamplingFlux);
    resetFluxAnalyzer();
    const [, cold] = await time(() => analyzeFlux(scripts[0]));
    report("Flux analyzer: first analysis (load wasm + start server)", `${cold.toFixed(1)} ms`);
    const n = 200;
    const [, warm] = await time(async () => {
        for (let i = 0; i < n; i++) await analyzeFlux(scripts[i % scripts.length]);
    });
    report("Flux analyzer: later analysis (mean)", `${(warm / n).toFixed(2)} ms`);

    const target = await startTestTarget();
    const connection = { url: target.url, token: pulumi.secret(target.token) };
    const [captured, serializeMs] = await time(() =>
        captureDynamicResources(() => {
            new Bucket("b", { connection, orgId: target.orgId, name: "bench" });
            new Task("t", { connection, orgId: target.orgId, flux: scripts[0] });
        }),
    );
    report("Serialize Bucket + Task providers under mocks", `${serializeMs.toFixed(0)} ms`);
    for (const c of captured) {
        report(
            `Serialized provider size: ${c.type.split(":").pop()}`,
            `${((c.inputs.__provider as string).length / 1024).toFixed(1)} KiB`,
        );
    }

    const [host, startMs] = await time(() => ProviderHost.start());
    report("Provider host start", `${startMs.toFixed(0)} ms`);
    const engine = new Engine(host);
    const bucketInputs = captured.find((c) => c.type.endsWith("Bucket"))!.inputs;
    const taskInputs = captured.find((c) => c.type.endsWith("Task"))!.inputs;
    const count = 20;
    target.standIn?.resetCounts();
    const [, createMs] = await time(async () => {
        for (let i = 0; i < count; i++) {
            await engine.up(`urn:b${i}`, { ...bucketInputs, name: `bench-${i}` });
        }
    });
    report(`Bucket create through the host (mean of ${count}, Check+Create)`, `${(createMs / count).toFixed(1)} ms`);
    const [, taskMs] = await time(async () => {
        for (let i = 0; i < count; i++) {
            await engine.up(`urn:t${i}`, {
                ...taskInputs,
                flux: scripts[0].replace("Downsample (API Requests)", `bench ${i}`),
            });
        }
    });
    report(
        `Task create through the host (mean of ${count}, Check with analyzer + Create)`,
        `${(taskMs / count).toFixed(1)} ms`,
    );
    const [, previewMs] = await time(async () => {
        for (let i = 0; i < count; i++) await engine.preview(`urn:b${i}`, { ...bucketInputs, name: `bench-${i}` });
    });
    report(`No-op preview of a bucket (mean of ${count}, Check+Diff)`, `${(previewMs / count).toFixed(1)} ms`);
    const counts = target.standIn?.requestCounts() ?? {};
    report("API requests for 20 bucket + 20 task creates", JSON.stringify(counts));
    await host.stop();
    await target.stop();

    const width = Math.max(...rows.map(([l]) => l.length));
    console.log("flagsmith-influxdb benchmark");
    for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
