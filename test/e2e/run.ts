// `npm run test:e2e`: the real-server and real-engine suites in one mocha run.
//   - test/e2e/*.e2e.ts: the real Pulumi CLI on the program against influxd (each file starts its own), and the
//     conformance of the stand-in to influxd;
//   - the provider suites that talk to InfluxDB (test/dynamic-providers/host.test.ts,
//     test/dynamic-providers/backfill-provider.test.ts, test/dynamic-providers/kubernetes-forward.test.ts,
//     test/acceptance/idempotency.test.ts) pointed at a real influxd through INFLUXDB_TEST_URL / INFLUXDB_TEST_TOKEN /
//     INFLUXDB_TEST_ORG, started here for them (their stand-in-only tests skip themselves).
// Exits with mocha's status; fails at once, naming the command, when the tools are not built.
import { spawnSync } from "child_process";
import * as path from "path";
import { startInfluxd } from "./influxd";
import { findRealTools, PROJECT_ROOT } from "./tools";

const PROVIDER_SUITES = [
    "test/dynamic-providers/host.test.ts",
    "test/dynamic-providers/backfill-provider.test.ts",
    "test/acceptance/idempotency.test.ts",
    "test/dynamic-providers/kubernetes-forward.test.ts",
];

async function main(): Promise<number> {
    const found = findRealTools();
    if (!found.tools) {
        console.error(`e2e: the real tools are not built (${found.missing.join("; ")}): run npm run e2e:tools`);
        return 2;
    }
    const influx = await startInfluxd({ influxd: found.tools.influxd, org: "providers", bucket: "default" });
    try {
        const mocha = path.join(PROJECT_ROOT, "node_modules", ".bin", "mocha");
        const args = [
            "--no-config",
            "-r",
            "ts-node/register/transpile-only",
            "--exit",
            "--timeout",
            "900000",
            ...process.argv.slice(2),
        ];
        const files = process.argv.slice(2).some((a) => !a.startsWith("-"))
            ? []
            : ["test/e2e/*.e2e.ts", ...PROVIDER_SUITES];
        const result = spawnSync(mocha, [...args, ...files], {
            cwd: PROJECT_ROOT,
            stdio: "inherit",
            env: {
                ...process.env,
                INFLUXDB_TEST_URL: influx.url,
                INFLUXDB_TEST_TOKEN: influx.token,
                INFLUXDB_TEST_ORG: influx.org,
            },
        });
        return result.status ?? 1;
    } finally {
        await influx.stop();
    }
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`e2e: ${(e as Error).message}`);
        process.exit(1);
    },
);
