// Writes the committed key trees components/chart-keys/<chart>-<version>.json from the charts' values.yaml files in
// ../shared/reference (beside the repository; those third-party files are not part of the project), with
// chartValueKeys() and serializeChartKeys(). Run after pinning a new chart version:
//
//     npm run chart-keys        (npx ts-node --transpile-only test/tools/chart-keys.ts)
//
// test/components/chart-values.test.ts fails when a committed file differs from what this script would write.
import * as fs from "fs";
import * as path from "path";
import { chartKeysFile, chartValueKeys, serializeChartKeys } from "../../components/chart-values";
import { missingReference, missingReferenceLine, referencePath } from "../harness/reference-data";

/** The repository's root. */
const REPO = path.resolve(__dirname, "..", "..");

/** A pinned chart whose key tree is committed, and the values.yaml it is derived from. */
export interface ChartKeySource {
    readonly chart: string;
    readonly version: string;
    /** The chart's values.yaml (absolute path). */
    readonly valuesFile: string;
    /** The committed key tree (absolute path). */
    readonly keysFile: string;
}

function source(chart: string, version: string): ChartKeySource {
    return {
        chart,
        version,
        valuesFile: referencePath(`${chart}-chart-${version}-values.yaml`),
        keysFile: chartKeysFile(chart, version),
    };
}

/**
 * The charts the Kubernetes components pin (INFLUXDB2_CHART in components/influxdb-kubernetes.ts, FLAGSMITH_CHART in
 * components/flagsmith-kubernetes.ts). Listed here rather than imported, so this script does not load the components.
 */
export const CHART_KEY_SOURCES: readonly ChartKeySource[] = [
    source("influxdb2", "2.1.2"),
    source("flagsmith", "0.81.0"),
];

/** The text of the key tree file derived from `src.valuesFile`. */
export function deriveChartKeys(src: ChartKeySource): string {
    return serializeChartKeys(chartValueKeys(fs.readFileSync(src.valuesFile, "utf8")));
}

const USAGE =
    "usage: npm run chart-keys\n" +
    "Writes components/chart-keys/<chart>-<version>.json from the charts' values.yaml in ../shared/reference.";

/** Exit code: 0 written or unchanged, 2 a bad argument or the reference data missing. */
function main(args: readonly string[]): number {
    if (args.length > 0) {
        const help = args.every((a) => a === "--help" || a === "-h");
        (help ? console.log : console.error)(USAGE);
        return help ? 0 : 2;
    }
    const missing = missingReference(CHART_KEY_SOURCES.map((s) => s.valuesFile));
    if (missing.length > 0) {
        console.error(`chart-keys: ${missingReferenceLine(missing)}`);
        return 2;
    }
    for (const src of CHART_KEY_SOURCES) {
        const text = deriveChartKeys(src);
        fs.mkdirSync(path.dirname(src.keysFile), { recursive: true });
        const unchanged = fs.existsSync(src.keysFile) && fs.readFileSync(src.keysFile, "utf8") === text;
        if (!unchanged) {
            fs.writeFileSync(src.keysFile, text);
        }
        console.log(
            `${path.relative(REPO, src.keysFile)} ${unchanged ? "unchanged" : "written"} ` +
                `(from ${path.relative(REPO, src.valuesFile)})`,
        );
    }
    return 0;
}

if (require.main === module) {
    process.exit(main(process.argv.slice(2)));
}
