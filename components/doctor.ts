// `npm run doctor [-- --stack <name>]`: does analytics really flow? Reads the stack's outputs (`pulumi stack output
// --show-secrets`) and asks the live InfluxDB: is it reachable; is Flagsmith's token there, active, with exactly what
// Flagsmith needs, and does it work; when did Flagsmith last write to the raw bucket; did each task write its window
// since; is each task active, and what did its last failed run say. Exits 1 naming each problem and what to do, 0 when
// all is well. `taskHealth` alone says "success" on an empty pipeline; this looks at the data.
import { execFileSync } from "child_process";
import type { Authorization as ApiAuthorization, Bucket as ApiBucket } from "@influxdata/influxdb-client-apis";
import { Connection, readApi } from "../dynamic-providers/client";
import type { KubernetesAccess } from "../dynamic-providers/kubernetes-forward";
import { failureCauseOf } from "../dynamic-providers/task-provider";

const isPlainRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** What the doctor needs from the stack's outputs. */
export interface DoctorInputs {
    /** `influxdbUrl`: the API as seen from this machine (Kubernetes: its in-cluster address, see `kubernetes`). */
    readonly managementUrl: string;
    /** `influxdbKubernetes`: the in-cluster server reached through a port-forward of the doctor's own. */
    readonly kubernetes?: KubernetesAccess;
    /** `influxdbOperatorToken`. */
    readonly operatorToken: string;
    /** `influxdbOrgId`. */
    readonly orgId: string;
    /** `flagsmithEnv`: the four variables Flagsmith has. */
    readonly env: { readonly INFLUXDB_TOKEN: string; readonly INFLUXDB_BUCKET: string };
    /** `taskIds`: task name to ID. */
    readonly taskIds: Readonly<Record<string, string>>;
}

/** One check's verdict. */
export interface Finding {
    readonly check: string;
    readonly ok: boolean;
    readonly detail: string;
    /** What to do, for a problem. */
    readonly fix?: string;
}

const MEASUREMENTS = ["api_call", "feature_evaluation"] as const;
/** The downsampled buckets by the window they hold, in seconds (Flagsmith reads `<B>_downsampled_15m` and `_1h`). */
const DOWNSAMPLED = { "15m": 900, "1h": 3600 } as const;
/** How long after a window's end its downsampled point may still be missing (a task's run, an offset). */
const GRACE_SECONDS = 600;

/** The doctor's inputs from `pulumi stack output --json --show-secrets`; names every missing output. */
export function inputsFromOutputs(outputs: Record<string, unknown>): DoctorInputs {
    const env = (outputs.flagsmithEnv ?? {}) as Record<string, unknown>;
    const missing = [
        ["influxdbUrl", outputs.influxdbUrl],
        ["influxdbOperatorToken", outputs.influxdbOperatorToken],
        ["influxdbOrgId", outputs.influxdbOrgId],
        ["flagsmithEnv.INFLUXDB_TOKEN", env.INFLUXDB_TOKEN],
        ["flagsmithEnv.INFLUXDB_BUCKET", env.INFLUXDB_BUCKET],
    ]
        .filter(([, v]) => typeof v !== "string" || v === "" || v === "[secret]")
        .map(([k]) => k);
    if (missing.length > 0) {
        throw new Error(
            `the stack's outputs lack ${missing.join(", ")}: run \`pulumi up\` first (a stack deployed by an older ` +
                `version of this program needs one \`pulumi up\` to export them)`,
        );
    }
    return {
        managementUrl: outputs.influxdbUrl as string,
        operatorToken: outputs.influxdbOperatorToken as string,
        orgId: outputs.influxdbOrgId as string,
        env: { INFLUXDB_TOKEN: env.INFLUXDB_TOKEN as string, INFLUXDB_BUCKET: env.INFLUXDB_BUCKET as string },
        taskIds: (outputs.taskIds ?? {}) as Record<string, string>,
        ...(isPlainRecord(outputs.influxdbKubernetes)
            ? { kubernetes: outputs.influxdbKubernetes as unknown as KubernetesAccess }
            : {}),
    };
}

/**
 * Whether a downsampled bucket is behind the raw data: the window holding the last raw point ended more than
 * GRACE_SECONDS ago, yet the downsampled bucket has no point at or after that window's end (a task writes each
 * window's point at the window's end). Times in seconds since the epoch.
 */
export function downsamplingBehind(
    lastRaw: number | undefined,
    lastDownsampled: number | undefined,
    windowSeconds: number,
    now: number,
): boolean {
    if (lastRaw === undefined) return false;
    const windowEnd = Math.floor(lastRaw / windowSeconds) * windowSeconds + windowSeconds;
    return now > windowEnd + GRACE_SECONDS && (lastDownsampled === undefined || lastDownsampled < windowEnd);
}

/** The findings as printed, and the exit code (1 when any check failed). */
export function report(findings: readonly Finding[]): { text: string; exitCode: number } {
    const lines = findings.flatMap((f) =>
        f.ok
            ? [`ok    ${f.check}: ${f.detail}`]
            : [`FAIL  ${f.check}: ${f.detail}`, ...(f.fix ? [`      fix: ${f.fix}`] : [])],
    );
    const failed = findings.filter((f) => !f.ok).length;
    lines.push(failed === 0 ? "analytics flow: no problem found" : `${failed} problem(s) found`);
    return { text: lines.join("\n"), exitCode: failed === 0 ? 0 : 1 };
}

const iso = (seconds: number | undefined) => (seconds === undefined ? "never" : new Date(seconds * 1000).toISOString());

/** Last point time (seconds) per measurement in a bucket over the last 30 days. */
async function lastPoints(conn: Connection, orgId: string, bucket: string): Promise<Record<string, number>> {
    const rows =
        (await readApi(conn, `read the last points of bucket "${bucket}"`, (a) =>
            a.queryRows(
                orgId,
                `from(bucket: ${JSON.stringify(bucket)}) |> range(start: -30d)` +
                    ` |> filter(fn: (r) => r._measurement == "api_call" or r._measurement == "feature_evaluation")` +
                    ` |> group(columns: ["_measurement"]) |> last() |> keep(columns: ["_measurement", "_time"])`,
            ),
        )) ?? [];
    return Object.fromEntries(rows.map((r) => [r._measurement, Math.floor(Date.parse(r._time) / 1000)]));
}

/** Runs every check against the live server. */
export async function diagnose(inputs: DoctorInputs, now = Math.floor(Date.now() / 1000)): Promise<Finding[]> {
    const quick = { readyTimeoutSeconds: 5, operationTimeoutSeconds: 15, requestTimeoutSeconds: 10 };
    const operator: Connection = {
        url: inputs.managementUrl,
        token: inputs.operatorToken,
        ...quick,
        ...(inputs.kubernetes ? { kubernetes: inputs.kubernetes } : {}),
    };
    const findings: Finding[] = [];
    try {
        await readApi(operator, "read the organization", (a) => a.orgs.getOrgsID({ orgID: inputs.orgId }));
        findings.push({ check: "InfluxDB", ok: true, detail: `reachable at ${inputs.managementUrl}` });
    } catch (e) {
        findings.push({
            check: "InfluxDB",
            ok: false,
            detail: (e as Error).message,
            fix:
                "start InfluxDB (Kubernetes: `kubectl -n <namespace> get pods`; the doctor reaches it through the " +
                "Kubernetes API with the stack's kubeconfig and context, or `influxdbUrl` when influxdb.managementUrl is set)",
        });
        return findings;
    }

    const bucket = inputs.env.INFLUXDB_BUCKET;
    const names = { raw: bucket, "15m": `${bucket}_downsampled_15m`, "1h": `${bucket}_downsampled_1h` };
    const buckets =
        (await readApi(operator, "list the buckets", (a) => a.buckets.getBuckets({ orgID: inputs.orgId, limit: 100 })))
            ?.buckets ?? [];
    const idOf = (name: string) => buckets.find((b: ApiBucket) => b.name === name)?.id;
    findings.push(...(await tokenFindings(inputs, operator, names, idOf)));

    const raw = await lastPoints(operator, inputs.orgId, names.raw);
    findings.push(
        raw.api_call === undefined
            ? {
                  check: `writes to ${names.raw}`,
                  ok: false,
                  detail: "Flagsmith has written no api_call point in 30 days",
                  fix:
                      "give Flagsmith's API and task processor the four variables (`pulumi stack output flagsmithEnv " +
                      "--show-secrets`), leave USE_POSTGRES_FOR_ANALYTICS unset, and make some SDK calls",
              }
            : {
                  check: `writes to ${names.raw}`,
                  ok: true,
                  detail: MEASUREMENTS.map((m) => `${m} last at ${iso(raw[m])}`).join(", "),
              },
    );
    for (const [size, seconds] of Object.entries(DOWNSAMPLED) as [keyof typeof DOWNSAMPLED, number][]) {
        const down = await lastPoints(operator, inputs.orgId, names[size]);
        const behind = MEASUREMENTS.filter((m) => downsamplingBehind(raw[m], down[m], seconds, now));
        findings.push({
            check: `writes to ${names[size]}`,
            ok: behind.length === 0,
            detail:
                behind.length === 0
                    ? MEASUREMENTS.map((m) => `${m} last at ${iso(down[m])}`).join(", ")
                    : behind.map((m) => `no ${m} point for the window after ${iso(raw[m])}`).join(", "),
            fix: behind.length === 0 ? undefined : "see the tasks below; `pulumi up --refresh` restores them",
        });
    }
    findings.push(...(await taskFindings(inputs, operator)));
    return findings;
}

async function tokenFindings(
    inputs: DoctorInputs,
    operator: Connection,
    names: { raw: string; "15m": string; "1h": string },
    idOf: (name: string) => string | undefined,
): Promise<Finding[]> {
    const check = "Flagsmith's token";
    const auths =
        (await readApi(operator, "list the tokens", (a) => a.authorizations.getAuthorizations({ orgID: inputs.orgId })))
            ?.authorizations ?? [];
    const token = auths.find((a: ApiAuthorization) => a.token === inputs.env.INFLUXDB_TOKEN);
    const recreate = "`pulumi refresh && pulumi up` makes a new one and hands it to Flagsmith";
    if (!token) {
        return [{ check, ok: false, detail: "not on the server (deleted outside Pulumi?)", fix: recreate }];
    }
    if (token.status !== "active") {
        return [{ check, ok: false, detail: "switched off (inactive)", fix: `${recreate}, or activate it` }];
    }
    const granted = (token.permissions ?? []).map((p) => `${p.action} ${p.resource.type}/${p.resource.id ?? "*"}`);
    const needed = [
        `write buckets/${idOf(names.raw)}`,
        `read buckets/${idOf(names.raw)}`,
        `read buckets/${idOf(names["15m"])}`,
        `read buckets/${idOf(names["1h"])}`,
    ];
    const lacking = needed.filter((n) => !granted.includes(n));
    if (lacking.length > 0) {
        return [{ check, ok: false, detail: `lacks ${lacking.join(", ")}`, fix: recreate }];
    }
    const flagsmith: Connection = { ...operator, token: inputs.env.INFLUXDB_TOKEN };
    for (const bucket of Object.values(names)) {
        try {
            await readApi(flagsmith, `read bucket "${bucket}" with Flagsmith's token`, (a) =>
                a.queryRows(
                    inputs.orgId,
                    `from(bucket: ${JSON.stringify(bucket)}) |> range(start: -1m) |> limit(n: 1)`,
                ),
            );
        } catch (e) {
            return [{ check, ok: false, detail: (e as Error).message, fix: recreate }];
        }
    }
    return [{ check, ok: true, detail: "active, writes and reads the raw bucket, reads the downsampled ones" }];
}

async function taskFindings(inputs: DoctorInputs, operator: Connection): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const [name, id] of Object.entries(inputs.taskIds)) {
        const check = `task "${name}"`;
        const task = await readApi(operator, `read task ${id}`, (a) => a.tasks.getTasksID({ taskID: id }));
        if (!task) {
            findings.push({ check, ok: false, detail: "gone from the server", fix: "`pulumi refresh && pulumi up`" });
        } else if (task.status !== "active") {
            findings.push({
                check,
                ok: false,
                detail: "inactive",
                fix: "`pulumi up --refresh` puts it back to active",
            });
        } else if (task.lastRunStatus === "failed") {
            const runs = await readApi(operator, `read the runs of task ${id}`, (a) =>
                a.tasks.getTasksIDRuns({ taskID: id, limit: 20 }),
            );
            const cause = failureCauseOf(runs?.runs ?? []) ?? task.lastRunError ?? "no message";
            findings.push({
                check,
                ok: false,
                detail: `last run failed: ${cause}`,
                fix: `fix the cause (a deleted bucket: \`pulumi refresh && pulumi up\`); runs: influx task log list --task-id ${id}`,
            });
        } else {
            findings.push({
                check,
                ok: true,
                detail: `active, last run ${task.lastRunStatus ?? "not yet"} (${task.latestCompleted ?? "never"})`,
            });
        }
    }
    return findings;
}

export const DOCTOR_USAGE = [
    "usage: npm run doctor [-- --stack <name>]",
    "",
    "Checks against the live InfluxDB that Flagsmith's analytics flow: InfluxDB answers; Flagsmith's token exists, is",
    "active, has exactly what Flagsmith needs and works; when Flagsmith last wrote to the raw bucket; that the tasks",
    "wrote each finished window; that each task is active, with the cause of its last failed run.",
    "It reads the stack's outputs with the Pulumi CLI (`pulumi stack output --show-secrets`): run it where `pulumi up`",
    "runs, with the same backend and PULUMI_CONFIG_PASSPHRASE. Default: the selected stack.",
    "Exit codes: 0 no problem, 1 a problem (each with what to do), 2 the check could not run.",
].join("\n");

/** The CLI's arguments: `--stack <name>`, or help; anything else is refused. */
export function doctorArguments(argv: readonly string[]): { help: true } | { help: false; stack?: string } {
    if (argv.includes("--help") || argv.includes("-h")) return { help: true };
    const rest = [...argv];
    let stack: string | undefined;
    while (rest.length > 0) {
        const arg = rest.shift()!;
        if (arg !== "--stack") throw new Error(`unknown argument ${JSON.stringify(arg)}\n${DOCTOR_USAGE}`);
        stack = rest.shift();
        if (!stack || stack.startsWith("-")) throw new Error("--stack needs a stack name");
    }
    return { help: false, stack };
}

function stackOutputs(stack: string | undefined): Record<string, unknown> {
    try {
        const json = execFileSync(
            "pulumi",
            ["stack", "output", "--json", "--show-secrets", ...(stack ? ["--stack", stack] : [])],
            { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
        );
        return JSON.parse(json) as Record<string, unknown>;
    } catch (e) {
        if ((e as { code?: string }).code === "ENOENT") {
            throw new Error("the Pulumi CLI (`pulumi`) is not on PATH: the doctor reads the stack's outputs with it");
        }
        throw new Error(`could not read the stack's outputs with \`pulumi stack output\`: ${(e as Error).message}`);
    }
}

async function main(argv: readonly string[]): Promise<number> {
    const args = doctorArguments(argv);
    if (args.help) {
        console.log(DOCTOR_USAGE);
        return 0;
    }
    const { text, exitCode } = report(await diagnose(inputsFromOutputs(stackOutputs(args.stack))));
    console.log(text);
    return exitCode;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            console.error(`doctor: ${(e as Error).message}`);
            process.exit(2);
        },
    );
}
