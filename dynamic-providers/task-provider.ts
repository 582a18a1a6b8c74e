// Task: the provider the dynamic-provider plugin runs (check, diff rules, create/read/update/delete). The resource
// class programs import is task.ts.
import type { Task as ApiTask, Run as ApiRun } from "@influxdata/influxdb-client-apis";
import { Connection, deleteApi, readApi, readListed, writeApi } from "./client";
import {
    checkConnection,
    CheckFailure,
    checkId,
    checkStatus,
    compact,
    connectionKey,
    createdSince,
    diffByRules,
    DiffRule,
    isUnknown,
} from "./common";
import { analyzeFlux } from "./flux/analyzer";
import { bucketsReferenced } from "./flux/references";
import { parseTaskOption } from "./flux/task-option";
import { TaskStatus } from "./influx-rules";
import { influxProvider } from "./resource";

export interface TaskInputs {
    readonly connection: Connection;
    readonly orgId: string;
    readonly flux: string;
    readonly status: TaskStatus;
    readonly description: string;
    readonly adopt: boolean;
}

export interface TaskOutputs extends TaskInputs {
    readonly taskId: string;
    readonly taskName: string;
    readonly every?: string;
    readonly cron?: string;
    readonly offset?: string;
    readonly lastRunStatus?: string;
    readonly lastRunError?: string;
}

/** Validates task inputs offline, including the Flux analyzer's verdict; unknown values are skipped. */
export async function checkTask(news: Record<string, unknown>): Promise<CheckFailure[]> {
    const failures = [...checkConnection(news.connection), ...checkId("orgId", news.orgId)];
    failures.push(...checkStatus(news.status));
    if (news.description !== undefined && !isUnknown(news.description) && typeof news.description !== "string") {
        failures.push({ property: "description", reason: "description must be a string" });
    }
    if (!isUnknown(news.flux)) {
        failures.push(...(await checkFlux(news.flux)));
    }
    return failures;
}

/** Checks a task's Flux: an `option task` header with literal values, and no analyzer errors. */
export async function checkFlux(flux: unknown): Promise<CheckFailure[]> {
    if (typeof flux !== "string" || flux.trim() === "") {
        return [{ property: "flux", reason: "flux must be a non-empty Flux script with an `option task` header" }];
    }
    const failures: CheckFailure[] = [];
    const option = parseTaskOption(flux);
    if (!option.ok) {
        failures.push({ property: "flux", reason: `option task: ${option.error}` });
    }
    const name = option.ok ? ` (task "${option.name}")` : "";
    for (const d of await analyzeFlux(flux)) {
        if (d.severity === "error") {
            failures.push({
                property: "flux",
                reason: `Flux error${name} at line ${d.line}, column ${d.column}: ${d.message}`,
            });
        }
    }
    return failures;
}

export function normalizeTaskInputs(news: Record<string, unknown>): Record<string, unknown> {
    return compact({
        ...news,
        status: news.status ?? "active",
        description: news.description ?? "",
        adopt: news.adopt ?? false,
    });
}

const TASK_RULES: readonly DiffRule<Partial<TaskOutputs>, Partial<TaskInputs>>[] = [
    { name: "orgId", old: (o) => o.orgId, new: (n) => n.orgId, replaces: true },
    { name: "flux", old: (o) => o.flux, new: (n) => n.flux },
    { name: "status", old: (o) => o.status ?? "active", new: (n) => n.status ?? "active" },
    { name: "description", old: (o) => o.description ?? "", new: (n) => n.description ?? "" },
    { name: "connection", old: (o) => connectionKey(o.connection), new: (n) => connectionKey(n.connection) },
];

/** Pure diff of state against new inputs. */
export function diffTask(olds: Partial<TaskOutputs>, news: Partial<TaskInputs>) {
    return diffByRules(olds, news, TASK_RULES);
}

/** State from the server's task plus the inputs that are not on the server. */
export function taskOutputs(inputs: TaskInputs, t: ApiTask): TaskOutputs {
    return compact({
        ...inputs,
        taskId: t.id,
        orgId: t.orgID ?? inputs.orgId,
        flux: t.flux,
        status: (t.status ?? inputs.status) as TaskStatus,
        description: t.description ?? "",
        taskName: t.name,
        every: t.every,
        cron: t.cron,
        offset: t.offset,
        lastRunStatus: t.lastRunStatus,
        lastRunError: t.lastRunError,
        // Not latestCompleted: it moves with every run, so each refresh would show a change.
    });
}

async function tasksNamed(conn: Connection, orgId: string, name: string): Promise<ApiTask[]> {
    const list = await readApi(conn, `look up tasks named "${name}"`, (a) => a.tasks.getTasks({ orgID: orgId, name }));
    return (list?.tasks ?? []).filter((t) => t.name === name);
}

async function patchTask(inputs: TaskInputs, id: string, label: string): Promise<ApiTask> {
    // Only flux, status and description: sending name/every would make the server rewrite the stored flux.
    return writeApi(inputs.connection, `update task ${label}`, (a) =>
        a.tasks.patchTasksID({
            taskID: id,
            body: { flux: inputs.flux, status: inputs.status, description: inputs.description },
        }),
    );
}

/**
 * The tasks among `named` that this stack may adopt: those reading and writing exactly the buckets its own script
 * does. Task names are not unique in InfluxDB, and two stacks in one organization run tasks of the same names on
 * their own buckets: a task on other buckets is another stack's (or someone's), never taken over.
 */
export function adoptableTasks(named: readonly ApiTask[], flux: string): ApiTask[] {
    const key = (script: string) => {
        const refs = bucketsReferenced(script);
        return JSON.stringify([[...refs.reads].sort(), [...refs.writes].sort()]);
    };
    const mine = key(flux);
    return named.filter((t) => typeof t.flux === "string" && key(t.flux) === mine);
}

/** Creates the task, or adopts the single existing task of that name and buckets when `adopt` is set. */
export async function createTask(inputs: TaskInputs): Promise<{ id: string; outs: TaskOutputs }> {
    const conn = inputs.connection;
    const option = parseTaskOption(inputs.flux);
    const name = option.ok ? option.name : "";
    const label = `"${name}"`;
    if (inputs.adopt) {
        const existing = adoptableTasks(await tasksNamed(conn, inputs.orgId, name), inputs.flux);
        if (existing.length > 1) {
            throw new Error(
                `cannot adopt task ${label}: ${existing.length} tasks in organization ${inputs.orgId} have that name ` +
                    `and use the same buckets (${existing.map((t) => t.id).join(", ")}), so adopt cannot tell which ` +
                    `one is this stack's. Decide on the server which task this stack should own and rename the ` +
                    `others (they may belong to another stack or person), then run pulumi up again`,
            );
        }
        if (existing.length === 1) {
            const t = existing[0];
            const adopted = diffTask(taskOutputs(inputs, t), inputs).changes ? await patchTask(inputs, t.id, label) : t;
            return { id: adopted.id, outs: taskOutputs(inputs, adopted) };
        }
    }
    const started = Date.now();
    const created = await writeApi(
        conn,
        `create task ${label}`,
        (a) =>
            a.tasks.postTasks({
                body: compact({
                    orgID: inputs.orgId,
                    flux: inputs.flux,
                    status: inputs.status,
                    description: inputs.description || undefined,
                }),
            }),
        // The answer was lost: a task with this exact flux created since we started is ours.
        async () =>
            (await tasksNamed(conn, inputs.orgId, name)).find(
                (t) => t.flux === inputs.flux && createdSince(t.createdAt, started),
            ),
    );
    return { id: created.id, outs: taskOutputs(inputs, created) };
}

export async function readTask(
    id: string,
    props: TaskOutputs,
): Promise<{ id: string; props: TaskOutputs; inputs: TaskInputs } | undefined> {
    const t = await readListed<ApiTask>(props.connection, "tasks", props.orgId, id, `read task ${id}`, (a) =>
        a.tasks.getTasksID({ taskID: id }),
    );
    if (!t) {
        return undefined;
    }
    const read = taskOutputs(props, t);
    const cause = read.lastRunStatus === "failed" ? await latestFailureCause(props.connection, id) : undefined;
    const outs: TaskOutputs = cause ? { ...read, lastRunError: cause } : read;
    const inputs: TaskInputs = {
        connection: props.connection,
        orgId: outs.orgId,
        flux: outs.flux,
        status: outs.status,
        description: outs.description,
        adopt: props.adopt ?? false,
    };
    return { id, props: outs, inputs };
}

/**
 * The message of the latest failed run that says why it failed. InfluxDB 2.7 stores as the task's `lastRunError` the
 * second-to-last log line of the run (influxdata/influxdb v2.7.12, kv/task.go `finishRun`), which is usually the
 * literal `Completed(failed)`; the cause is an earlier line of the run's log. Runs come newest first
 * (task/backend/analytical_storage.go `FindRuns`: `sort(columns: ["scheduledFor"], desc: true)`), each with its log.
 */
export function failureCauseOf(runs: readonly ApiRun[]): string | undefined {
    const failed = runs
        .filter((r) => r.status === "failed")
        .sort((a, b) => Date.parse(b.scheduledFor ?? "") - Date.parse(a.scheduledFor ?? ""))[0];
    const messages = (failed?.log ?? [])
        .map((e) => e.message ?? "")
        .filter((m) => m !== "" && !/^Completed\(/.test(m) && !/^Started task from script/.test(m));
    return messages.at(-1);
}

async function latestFailureCause(conn: Connection, taskId: string): Promise<string | undefined> {
    const runs = await readApi(conn, `read the runs of task ${taskId}`, (a) =>
        a.tasks.getTasksIDRuns({ taskID: taskId, limit: 20 }),
    );
    return failureCauseOf(runs?.runs ?? []);
}

export async function updateTask(id: string, news: TaskInputs): Promise<TaskOutputs> {
    const option = parseTaskOption(news.flux);
    return taskOutputs(news, await patchTask(news, id, option.ok ? `"${option.name}"` : id));
}

export async function deleteTask(id: string, props: TaskOutputs): Promise<void> {
    await deleteApi(props.connection, `delete task "${props.taskName ?? id}"`, (a) =>
        a.tasks.deleteTasksID({ taskID: id }),
    );
}

export const taskProvider = influxProvider<TaskInputs, TaskOutputs>({
    check: checkTask,
    normalize: normalizeTaskInputs,
    diff: diffTask,
    create: createTask,
    read: readTask,
    update: (id, _olds, news) => updateTask(id, news),
    delete: deleteTask,
});
