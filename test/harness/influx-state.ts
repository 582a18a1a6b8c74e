// The stand-in's in-memory InfluxDB: organizations, users, buckets, tasks, runs, authorizations and writes, with
// the rules of the 2.7 services (tenant, storage, kv task service, authorization service). HTTP handlers and the
// tests' out-of-band hooks both go through these methods.
import { fluxAstErrors, parseFluxAst } from "../../dynamic-providers/flux/analyzer";
import { extractTaskOptions, goDurationSeconds, rewriteTaskOptions, TaskOptionsError } from "./flux-task-options";
import {
    ApiError,
    AuthorizationState,
    BucketState,
    checkBucketName,
    emptyData,
    invalid,
    newId,
    newToken,
    notFound,
    operatorPermissions,
    OrgState,
    Permission,
    retentionForCreate,
    retentionForUpdate,
    RunState,
    RunStatus,
    StandInData,
    TaskState,
    truncateToSecond,
    UserState,
} from "./influx-model";

/** POST /api/v2/setup, in the stand-in's terms. */
export interface SetupInput {
    readonly username: string;
    readonly password?: string;
    readonly org: string;
    readonly bucket: string;
    /** 0 or absent: infinite. */
    readonly retentionSeconds?: number;
    /** The operator token to create; generated when absent. */
    readonly token?: string;
}

export interface SetupResult {
    readonly user: UserState;
    readonly org: OrgState;
    readonly bucket: BucketState;
    readonly auth: AuthorizationState;
}

export interface BucketInput {
    readonly orgID: string;
    readonly name: string;
    readonly description?: string;
    /** 0: infinite. */
    readonly retentionSeconds?: number;
    /** 0 or absent: chosen by the server from the retention. */
    readonly shardGroupDurationSeconds?: number;
    readonly type?: BucketState["type"];
}

export interface BucketChanges {
    readonly name?: string;
    readonly description?: string;
    readonly retentionSeconds?: number;
    readonly shardGroupDurationSeconds?: number;
}

export interface TaskInput {
    readonly orgID: string;
    readonly ownerID: string;
    readonly flux: string;
    readonly status?: TaskState["status"];
    readonly description?: string;
    readonly type?: string;
}

export interface TaskChanges {
    readonly flux?: string;
    readonly status?: TaskState["status"];
    readonly description?: string;
    readonly name?: string;
    readonly every?: string;
    readonly cron?: string;
    readonly offset?: string;
}

/** A finished run, as a test reports it. */
export interface RunReport {
    readonly status: "success" | "failed" | "canceled";
    readonly error?: string;
    /** When it ran; now by default. */
    readonly at?: Date;
}

export interface AuthorizationInput {
    readonly orgID: string;
    readonly userID: string;
    readonly permissions: readonly Permission[];
    readonly description?: string;
    readonly status?: AuthorizationState["status"];
    /** The token value; generated when absent. */
    readonly token?: string;
}

export interface AuthorizationChanges {
    readonly status?: AuthorizationState["status"];
    readonly description?: string;
}

const TASKS_SYSTEM_BUCKET_RETENTION = 3 * 86400;
const MONITORING_SYSTEM_BUCKET_RETENTION = 7 * 86400;

export class InfluxState {
    readonly data: StandInData = emptyData();

    constructor(private readonly clock: () => Date = () => new Date()) {}

    private now(): Date {
        return this.clock();
    }

    // -------------------------------------------------------------------------------------------------------
    // Onboarding
    // -------------------------------------------------------------------------------------------------------

    isSetUp(): boolean {
        return this.data.setUpAt !== undefined;
    }

    /** POST /api/v2/setup: the first user, org, bucket and an operator token. */
    setup(input: SetupInput): SetupResult {
        if (this.isSetUp()) {
            throw new ApiError(422, "conflict", "onboarding has already been completed");
        }
        if (input.password !== undefined && input.password.length < 8) {
            throw invalid("passwords must be at least 8 characters long");
        }
        const user = this.createUser(input.username);
        const org = this.createOrg(input.org);
        this.createSystemBuckets(org.id);
        const bucket = this.createBucket({
            orgID: org.id,
            name: input.bucket,
            retentionSeconds: input.retentionSeconds ?? 0,
        });
        const auth = this.createAuthorization({
            orgID: org.id,
            userID: user.id,
            permissions: operatorPermissions(),
            description: `${user.name}'s Token`,
            token: input.token,
        });
        this.data.setUpAt = this.now();
        return { user, org, bucket, auth };
    }

    private createSystemBuckets(orgID: string): void {
        this.createBucket({ orgID, name: "_tasks", type: "system", retentionSeconds: TASKS_SYSTEM_BUCKET_RETENTION });
        this.createBucket({
            orgID,
            name: "_monitoring",
            type: "system",
            retentionSeconds: MONITORING_SYSTEM_BUCKET_RETENTION,
        });
    }

    // -------------------------------------------------------------------------------------------------------
    // Users and organizations
    // -------------------------------------------------------------------------------------------------------

    createUser(name: string): UserState {
        if (name === "") {
            throw invalid("username is empty");
        }
        const user = { id: newId(this.data.users), name };
        this.data.users.set(user.id, user);
        return user;
    }

    user(id: string): UserState | undefined {
        return this.data.users.get(id);
    }

    createOrg(name: string, description = ""): OrgState {
        if (name === "") {
            throw invalid("org name is empty");
        }
        if ([...this.data.orgs.values()].some((o) => o.name === name)) {
            throw new ApiError(422, "conflict", `organization with name ${name} already exists`);
        }
        const now = this.now();
        const org = { id: newId(this.data.orgs), name, description, createdAt: now, updatedAt: now };
        this.data.orgs.set(org.id, org);
        return org;
    }

    org(id: string): OrgState {
        const org = this.data.orgs.get(id);
        if (!org) {
            throw notFound("organization not found");
        }
        return org;
    }

    orgByName(name: string): OrgState {
        const org = [...this.data.orgs.values()].find((o) => o.name === name);
        if (!org) {
            throw notFound(`organization name "${name}" not found`);
        }
        return org;
    }

    // -------------------------------------------------------------------------------------------------------
    // Buckets
    // -------------------------------------------------------------------------------------------------------

    bucket(id: string): BucketState {
        const bucket = this.data.buckets.get(id);
        if (!bucket) {
            throw notFound("bucket not found");
        }
        return bucket;
    }

    bucketByName(orgID: string, name: string): BucketState {
        const bucket = [...this.data.buckets.values()].find((b) => b.orgID === orgID && b.name === name);
        if (!bucket) {
            throw notFound(`bucket "${name}" not found`);
        }
        return bucket;
    }

    private checkUniqueBucketName(orgID: string, name: string, conflict: () => ApiError): void {
        if ([...this.data.buckets.values()].some((b) => b.orgID === orgID && b.name === name)) {
            throw conflict();
        }
    }

    createBucket(input: BucketInput): BucketState {
        const type = input.type ?? "user";
        this.org(input.orgID);
        checkBucketName(input.name, type);
        this.checkUniqueBucketName(
            input.orgID,
            input.name,
            () => new ApiError(422, "conflict", `bucket with name ${input.name} already exists`),
        );
        const retentionSeconds = input.retentionSeconds ?? 0;
        const shardGroupDurationSeconds = retentionForCreate(retentionSeconds, input.shardGroupDurationSeconds ?? 0);
        const now = this.now();
        const bucket: BucketState = {
            id: newId(this.data.buckets),
            orgID: input.orgID,
            name: input.name,
            description: input.description ?? "",
            type,
            retentionSeconds,
            shardGroupDurationSeconds,
            createdAt: now,
            updatedAt: now,
        };
        this.data.buckets.set(bucket.id, bucket);
        return bucket;
    }

    updateBucket(id: string, changes: BucketChanges): BucketState {
        const bucket = this.bucket(id);
        if (changes.name !== undefined && changes.name !== bucket.name) {
            if (bucket.type === "system") {
                throw invalid("system buckets cannot be renamed");
            }
            checkBucketName(changes.name, bucket.type);
            this.checkUniqueBucketName(
                bucket.orgID,
                changes.name,
                () => new ApiError(422, "conflict", "bucket name is not unique"),
            );
        }
        const retentionChanges =
            changes.retentionSeconds !== undefined || changes.shardGroupDurationSeconds !== undefined;
        const [retention, shard] = retentionChanges
            ? retentionForUpdate(bucket, changes.retentionSeconds, changes.shardGroupDurationSeconds)
            : [bucket.retentionSeconds, bucket.shardGroupDurationSeconds];
        bucket.name = changes.name ?? bucket.name;
        bucket.description = changes.description ?? bucket.description;
        bucket.retentionSeconds = retention;
        bucket.shardGroupDurationSeconds = shard;
        bucket.updatedAt = this.now();
        return bucket;
    }

    deleteBucket(id: string): void {
        if (this.bucket(id).type === "system") {
            throw invalid("system buckets cannot be deleted");
        }
        this.data.buckets.delete(id);
    }

    // -------------------------------------------------------------------------------------------------------
    // Tasks
    // -------------------------------------------------------------------------------------------------------

    task(id: string): TaskState {
        const task = this.data.tasks.get(id);
        if (!task) {
            throw notFound("task not found");
        }
        return task;
    }

    createTask(input: TaskInput): TaskState {
        this.org(input.orgID);
        const derived = deriveOptions(input.flux);
        const createdAt = truncateToSecond(this.now());
        const task: TaskState = {
            id: newId(this.data.tasks),
            orgID: input.orgID,
            ownerID: input.ownerID,
            type: input.type ?? "",
            description: input.description ?? "",
            status: input.status ?? "active",
            flux: input.flux,
            ...derived,
            createdAt,
            updatedAt: createdAt,
            latestCompleted: createdAt,
            runs: [],
        };
        this.data.tasks.set(task.id, task);
        return task;
    }

    /** PATCH semantics of the kv task service: options rewrite the script; a script re-derives the options. */
    updateTask(id: string, changes: TaskChanges): TaskState {
        const task = this.task(id);
        const now = this.now();
        const optionChanges = ["name", "every", "cron", "offset"].some(
            (k) => changes[k as keyof TaskChanges] !== undefined,
        );
        if (optionChanges || changes.flux !== undefined) {
            // TaskUpdate.UpdateFlux edits the new script when one is given (non-empty), else the stored one
            const base = changes.flux ? changes.flux : task.flux;
            const flux = optionChanges ? withOptionChanges(base, changes) : (changes.flux ?? task.flux);
            Object.assign(task, { every: undefined, cron: undefined, offsetSeconds: undefined }, deriveOptions(flux));
            task.flux = flux;
            task.updatedAt = now;
        }
        if (changes.description !== undefined) {
            task.description = changes.description;
            task.updatedAt = now;
        }
        if (changes.status !== undefined && changes.status !== task.status) {
            task.status = changes.status;
            task.updatedAt = now;
            if (task.status === "active") {
                task.latestCompleted = truncateToSecond(now);
            }
        }
        return task;
    }

    deleteTask(id: string): void {
        this.task(id);
        this.data.tasks.delete(id);
    }

    run(taskID: string, runID: string): RunState {
        const run = this.task(taskID).runs.find((r) => r.id === runID);
        if (!run) {
            throw notFound("run not found");
        }
        return run;
    }

    /** POST /tasks/{id}/runs: a manual run, queued. */
    forceRun(taskID: string, scheduledFor?: Date): RunState {
        const task = this.task(taskID);
        const now = this.now();
        const run: RunState = {
            id: newId(new Set(task.runs.map((r) => r.id))),
            taskID,
            status: "scheduled",
            scheduledFor: truncateToSecond(scheduledFor ?? now),
            requestedAt: now,
            flux: task.flux,
            log: [],
        };
        task.runs.push(run);
        return run;
    }

    /** A finished run, as the scheduler would record it: updates latestCompleted, lastRunStatus, lastRunError. */
    recordRun(taskID: string, report: RunReport): RunState {
        const task = this.task(taskID);
        const at = report.at ?? this.now();
        const run: RunState = {
            id: newId(new Set(task.runs.map((r) => r.id))),
            taskID,
            status: report.status as RunStatus,
            scheduledFor: truncateToSecond(at),
            startedAt: at,
            finishedAt: at,
            flux: task.flux,
            log: runLog(report, at),
        };
        run.log.forEach((event) => (event.runID = run.id));
        task.runs.push(run);
        task.latestCompleted = truncateToSecond(at);
        task.lastRunStatus = report.status;
        task.lastRunError = report.status === "failed" ? (report.error ?? "error exhausting result iterator") : "";
        return run;
    }

    // -------------------------------------------------------------------------------------------------------
    // Authorizations
    // -------------------------------------------------------------------------------------------------------

    authorization(id: string): AuthorizationState {
        const auth = this.data.authorizations.get(id);
        if (!auth) {
            throw notFound("authorization not found");
        }
        return auth;
    }

    authorizationByToken(token: string): AuthorizationState | undefined {
        return [...this.data.authorizations.values()].find((a) => a.token === token);
    }

    createAuthorization(input: AuthorizationInput): AuthorizationState {
        this.org(input.orgID);
        const token = input.token ?? newToken();
        if (this.authorizationByToken(token)) {
            throw new ApiError(422, "conflict", "token already exists");
        }
        const now = this.now();
        const auth: AuthorizationState = {
            id: newId(this.data.authorizations),
            token,
            status: input.status ?? "active",
            description: input.description ?? "",
            orgID: input.orgID,
            userID: input.userID,
            permissions: input.permissions.map((p) => ({ action: p.action, resource: { ...p.resource } })),
            createdAt: now,
            updatedAt: now,
        };
        this.data.authorizations.set(auth.id, auth);
        return auth;
    }

    updateAuthorization(id: string, changes: AuthorizationChanges): AuthorizationState {
        const auth = this.authorization(id);
        auth.status = changes.status ?? auth.status;
        auth.description = changes.description ?? auth.description;
        auth.updatedAt = this.now();
        return auth;
    }

    deleteAuthorization(id: string): void {
        this.authorization(id);
        this.data.authorizations.delete(id);
    }
}

/** name/every/cron/offset of a script, or the server's 400. */
function deriveOptions(flux: string): Pick<TaskState, "name" | "every" | "cron" | "offsetSeconds"> {
    // The server parses the whole script before reading its options (task/options/options.go `FromScriptAST`), so a
    // syntax error anywhere is a 400 "invalid options: loc <line>:<column>...: <parser message>".
    const syntax = fluxAstErrors(parseFluxAst(flux))[0];
    if (syntax) {
        throw invalid(`invalid options: loc ${syntax.line}:${syntax.column}: ${syntax.message}`);
    }
    try {
        const options = extractTaskOptions(flux);
        const offsetSeconds = options.offset !== undefined ? goDurationSeconds(options.offset) : undefined;
        return { name: options.name, every: options.every, cron: options.cron, offsetSeconds };
    } catch (e) {
        throw asInvalid(e, "invalid options: ");
    }
}

function withOptionChanges(flux: string, changes: TaskChanges): string {
    try {
        return rewriteTaskOptions(flux, changes);
    } catch (e) {
        throw asInvalid(e, "");
    }
}

function asInvalid(error: unknown, prefix: string): unknown {
    if (!(error instanceof TaskOptionsError)) {
        return error;
    }
    if (error.message.startsWith("unexpected error parsing time")) {
        // The offset is parsed as a Go duration and its failure is wrapped as an internal error
        // (influxdata/influxdb v2.7.12, task/taskmodel/task_errors.go `ErrTaskTimeParse`: code EInternal): 500.
        return new ApiError(500, "internal error", error.message);
    }
    return invalid(prefix + error.message);
}

function runLog(report: RunReport, at: Date): RunState["log"] {
    const log = [{ time: at, message: "Started task from script", runID: "" }];
    if (report.status === "failed") {
        log.push({ time: at, message: report.error ?? "error exhausting result iterator", runID: "" });
    }
    log.push({ time: at, message: `Completed(${report.status})`, runID: "" });
    return log;
}
