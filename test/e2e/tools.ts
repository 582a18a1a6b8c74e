// Where `npm run e2e:tools` (test/e2e/tools.sh) puts the real Pulumi CLI and influxd, and whether they are built.
// The paths follow the script: <cache>/pulumi-v<SDK version>/bin/pulumi and <cache>/influxd-v2.7.12/bin/influxd, each
// folder marked complete by a `.complete` file once its build succeeded.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/** The InfluxDB version the Docker image is pinned to (components/influxdb-docker.ts) and the suite runs. */
export const INFLUXD_VERSION = "2.7.12";

export interface RealTools {
    /** Folder holding `bin/pulumi` (what the Automation API's `PulumiCommand.get({ root })` takes). */
    readonly pulumiRoot: string;
    readonly pulumi: string;
    readonly pulumiVersion: string;
    readonly influxd: string;
}

/** The cache folder: `$FLAGSMITH_INFLUXDB_TOOLS`, else `$XDG_CACHE_HOME` or `~/.cache`, `/flagsmith-influxdb-tools`. */
export function toolsCache(env: NodeJS.ProcessEnv = process.env): string {
    if (env.FLAGSMITH_INFLUXDB_TOOLS) return env.FLAGSMITH_INFLUXDB_TOOLS;
    return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache"), "flagsmith-influxdb-tools");
}

/** The version of `@pulumi/pulumi` the lock file installs: the CLI is built at the same version. */
export function sdkVersion(): string {
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
        packages: Record<string, { version?: string }>;
    };
    const version = lock.packages["node_modules/@pulumi/pulumi"]?.version;
    if (!version) throw new Error("package-lock.json has no node_modules/@pulumi/pulumi");
    return version;
}

/** The built tools, or a list of what is missing (each with the command that builds it). */
export function findRealTools(env: NodeJS.ProcessEnv = process.env): { tools?: RealTools; missing: string[] } {
    const cache = toolsCache(env);
    const pulumiVersion = sdkVersion();
    const pulumiRoot = path.join(cache, `pulumi-v${pulumiVersion}`);
    const influxdRoot = path.join(cache, `influxd-v${INFLUXD_VERSION}`);
    const missing: string[] = [];
    for (const [name, root] of [
        [`pulumi v${pulumiVersion}`, pulumiRoot],
        [`influxd v${INFLUXD_VERSION}`, influxdRoot],
    ] as const) {
        if (!fs.existsSync(path.join(root, ".complete"))) missing.push(`${name} (not built in ${root})`);
    }
    if (missing.length > 0) return { missing };
    return {
        missing,
        tools: {
            pulumiRoot,
            pulumi: path.join(pulumiRoot, "bin", "pulumi"),
            pulumiVersion,
            influxd: path.join(influxdRoot, "bin", "influxd"),
        },
    };
}

// `node test/e2e/tools.ts` (through ts-node): exit 0 when both tools are built, else print what is missing, exit 1.
if (require.main === module) {
    const { missing } = findRealTools();
    if (missing.length > 0) {
        console.log(`not built: ${missing.join("; ")}`);
        process.exit(1);
    }
}
