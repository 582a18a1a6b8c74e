// An InfluxDB v2 API stand-in for tests: a real HTTP server on 127.0.0.1 (random port) that behaves like
// InfluxDB 2.7 OSS for onboarding, organizations, buckets, tasks, authorizations, writes and health, validates every
// request it handles and every response it sends against the official OpenAPI contract, and injects faults.
//
//     const influx = await InfluxStandIn.start();          // set up: org "flagsmith", operator token
//     await fetch(`${influx.url}/api/v2/buckets`, { headers: { Authorization: `Token ${influx.operatorToken}` } });
//     influx.assertNoContractViolations();
//     await influx.stop();
//
// Or, to run the same tests against a real server when INFLUXDB_TEST_URL / INFLUXDB_TEST_TOKEN are set:
//
//     const target = await startTestTarget();              // target.standIn is undefined for a real server
//
// A response that violates the contract is recorded and, by default, replaced with a 500 that explains the
// violation, so that no test passes on a reply the real server could not give.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as zlib from "node:zlib";
import { FaultKind, FaultOptions, FaultPlan } from "./influx-faults";
import {
    ApiError,
    AuthorizationState,
    BucketState,
    invalid,
    OrgState,
    Permission,
    RunState,
    TaskState,
    UNAUTHORIZED_ACCESS,
    WriteState,
} from "./influx-model";
import { ROUTES, RouteContext, RouteReply, ServerFacts } from "./influx-routes";
import { AuthorizationChanges, BucketChanges, InfluxState, RunReport, SetupResult, TaskChanges } from "./influx-state";
import { ViewOptions, Views } from "./influx-views";
import {
    ContractError,
    ContractOperation,
    describeContractErrors,
    INFLUXDB_OPENAPI_SPEC_PATH,
    loadContract,
    MatchedRequest,
    routesWithoutContract,
    StandInContract,
} from "./openapi-contract";
import { missingReference, missingReferenceError, missingReferenceLine, referenceRequired } from "./reference-data";

export type { FaultKind, FaultOptions } from "./influx-faults";
export type {
    AuthorizationState,
    BucketState,
    OrgState,
    Permission,
    RunState,
    TaskState,
    UserState,
    WriteState,
} from "./influx-model";
export type { RunReport, BucketChanges, TaskChanges, AuthorizationChanges } from "./influx-state";
export { CONTRACT_EXCEPTIONS, loadContract } from "./openapi-contract";
export type { ContractError, ContractException } from "./openapi-contract";

/** The onboarding a stand-in starts with. */
export interface StandInSetup {
    readonly org: string;
    readonly bucket: string;
    readonly username: string;
    readonly password: string;
    /** The operator (all-access) token. */
    readonly token: string;
    /** Retention of the initial bucket; 0 is infinite. */
    readonly retentionSeconds: number;
}

export const DEFAULT_SETUP: StandInSetup = {
    org: "flagsmith",
    bucket: "flagsmith",
    username: "admin",
    password: "stand-in-password",
    token: "stand-in-operator-token",
    retentionSeconds: 0,
};

export interface StandInOptions extends ViewOptions {
    /** Start set up (default, with DEFAULT_SETUP overridden by what is given), or not set up (`false`). */
    readonly setup?: Partial<StandInSetup> | false;
    /** Replace a response that violates the contract with a 500 explaining it. Default true. */
    readonly failOnResponseViolation?: boolean;
    /** Answer a request that violates the contract with 400 "invalid". Default true. */
    readonly rejectInvalidRequests?: boolean;
    readonly faults?: FaultOptions;
    /** Version reported by /health and /ping. Default "v2.7.11" ("v2.0.4" with `server: "2.0"`). */
    readonly version?: string;
    /**
     * How far the server's clock is ahead of this machine's (negative: behind), in milliseconds, for the times it
     * stamps (`createdAt`, `updatedAt`, runs). Default 0.
     */
    readonly clockSkewMs?: number;
    /** Port to listen on; default 0 (a random free port). */
    readonly port?: number;
    /** Alternative OpenAPI file (tests of the validator itself). */
    readonly specPath?: string;
}

/** One request or response that did not match the OpenAPI contract. */
export interface ContractViolation {
    readonly direction: "request" | "response";
    readonly method: string;
    /** URL path as requested. */
    readonly path: string;
    /** e.g. `POST /api/v2/buckets`. */
    readonly routeKey: string;
    readonly operationId: string;
    /** For responses: the status the stand-in tried to send. */
    readonly status?: number;
    readonly errors: readonly ContractError[];
    readonly message: string;
}

/** One request as the stand-in saw it; times from `performance.now()` of the test process. */
export interface RequestRecord {
    /** Route key, e.g. `POST /api/v2/buckets`. */
    readonly route: string;
    /** The path as requested, e.g. `/api/v2/buckets/0123456789abcdef`. */
    readonly path: string;
    /** When the request arrived. */
    readonly startMs: number;
    /** When its answer was sent (or the connection reset). */
    endMs: number;
}

/** Changes made "outside Pulumi": directly in the server's state, with the server's own rules. */
export interface OutOfBand {
    createOrg(name: string): OrgState;
    /** In the setup org unless `orgID` is given. */
    createBucket(input: {
        name: string;
        orgID?: string;
        retentionSeconds?: number;
        shardGroupDurationSeconds?: number;
        description?: string;
    }): BucketState;
    updateBucket(id: string, changes: BucketChanges): BucketState;
    deleteBucket(id: string): void;
    /** In the setup org, owned by the setup user, unless given. */
    createTask(input: {
        flux: string;
        orgID?: string;
        status?: "active" | "inactive";
        description?: string;
    }): TaskState;
    /** Replaces the script (name/every/cron/offset are re-derived from it). */
    editTaskFlux(id: string, flux: string): TaskState;
    updateTask(id: string, changes: TaskChanges): TaskState;
    deleteTask(id: string): void;
    /** A finished run: sets latestCompleted, lastRunStatus and lastRunError like the scheduler would. */
    recordTaskRun(id: string, report: RunReport): RunState;
    /** In the setup org, for the setup user, unless given. The result includes the token. */
    createAuthorization(input: {
        permissions: readonly Permission[];
        orgID?: string;
        userID?: string;
        description?: string;
        status?: "active" | "inactive";
        token?: string;
    }): AuthorizationState;
    updateAuthorization(id: string, changes: AuthorizationChanges): AuthorizationState;
    /** Deletes the authorization: its token stops working. */
    revokeAuthorization(id: string): void;
}

/** What a test talks to: the stand-in, or a real server (then `standIn` is undefined). */
export interface TestTarget {
    readonly url: string;
    readonly token: string;
    readonly orgId: string;
    readonly orgName: string;
    readonly standIn: InfluxStandIn | undefined;
    stop(): Promise<void>;
}

/** Turns a reply's JSON body into something else, to test that the contract check catches it. */
export type ResponseMutator = (body: unknown) => unknown;

interface WireResponse {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: string;
}

interface Exchange {
    readonly req: http.IncomingMessage;
    readonly method: string;
    readonly url: URL;
    readonly raw: Buffer;
    readonly matched: MatchedRequest | "method" | undefined;
}

const JSON_TYPE = "application/json; charset=utf-8";

function sleep(ms: number): Promise<void> {
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve();
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

function decodeBody(raw: Buffer, headers: http.IncomingHttpHeaders): string {
    if (raw.length > 0 && String(headers["content-encoding"] ?? "").toLowerCase() === "gzip") {
        try {
            return zlib.gunzipSync(raw).toString("utf8");
        } catch (e) {
            throw invalid(`gzip: ${(e as Error).message}`);
        }
    }
    return raw.toString("utf8");
}

function parseJson(text: string): unknown {
    if (text.trim() === "") {
        return undefined;
    }
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return undefined;
    }
}

function errorReply(error: unknown): RouteReply {
    const e = error instanceof ApiError ? error : new ApiError(500, "internal error", String(error));
    return { status: e.status, json: e.body(), headers: { "X-Platform-Error-Code": e.code } };
}

function toWire(reply: RouteReply, method: string): WireResponse {
    const headers: Record<string, string> = { ...reply.headers };
    let body = "";
    if (reply.json !== undefined) {
        headers["Content-Type"] = JSON_TYPE;
        body = JSON.stringify(reply.json);
    } else if (reply.text !== undefined) {
        headers["Content-Type"] = reply.contentType ?? "text/plain; charset=utf-8";
        body = reply.text;
    }
    return { status: reply.status, headers, body: method === "HEAD" ? "" : body };
}

function resetConnection(req: http.IncomingMessage): void {
    req.socket.resetAndDestroy();
}

let announcedWithoutContract = false;

/**
 * What the stand-in checks against: the OpenAPI contract, loaded once per process. When the default contract file is
 * absent (a plain clone has no ../shared), the stand-in still serves every route, routed by its own route keys, but
 * checks nothing against the contract; it says so once per process. The behaviour the tests rely on (status codes,
 * error bodies, state) is the stand-in's own and does not change; only the check that each exchange matches the
 * contract is lost, and the tests of that check skip (they declare the file with describeWithReference).
 * REQUIRE_SHARED=1 (CI) makes the absence an error. An explicit `specPath` (tests of the validator) must exist.
 */
async function standInContract(specPath: string | undefined): Promise<StandInContract> {
    const missing = specPath === undefined ? missingReference([INFLUXDB_OPENAPI_SPEC_PATH]) : [];
    if (missing.length === 0) {
        return loadContract(specPath);
    }
    if (referenceRequired()) {
        throw missingReferenceError(missing);
    }
    if (!announcedWithoutContract) {
        announcedWithoutContract = true;
        console.log(`      ${missingReferenceLine(missing)}: the InfluxDB stand-in runs without contract validation`);
    }
    return routesWithoutContract(Object.keys(ROUTES));
}

export class InfluxStandIn {
    private readonly state: InfluxState;
    private readonly views: Views;
    private readonly faults = new FaultPlan();
    private readonly violations: ContractViolation[] = [];
    private readonly counts = new Map<string, number>();
    private readonly log: RequestRecord[] = [];
    private readonly corruptions: { route: string; mutate: ResponseMutator; remaining: number }[] = [];
    private readonly server: http.Server;
    private readonly facts: ServerFacts;
    private readonly onboarding: SetupResult | undefined;
    private listeningPort = 0;
    private listening = false;
    /** Changes made outside Pulumi, through the server's own rules. */
    readonly outOfBand: OutOfBand;

    private constructor(
        private readonly contract: StandInContract,
        private readonly options: StandInOptions,
    ) {
        const skew = options.clockSkewMs ?? 0;
        this.state = new InfluxState(() => new Date(Date.now() + skew));
        this.views = new Views(this.state, options);
        this.facts = {
            kind: options.server ?? "2.7",
            version: options.version ?? (options.server === "2.0" ? "v2.0.4" : "v2.7.11"),
            commit: "fbf3ec2bf8",
            startedAt: new Date(),
        };
        this.faults.configure(options.faults);
        this.onboarding =
            options.setup === false ? undefined : this.state.setup({ ...DEFAULT_SETUP, ...options.setup });
        this.outOfBand = this.makeOutOfBand();
        this.server = http.createServer((req, res) => {
            this.onRequest(req, res).catch((e: unknown) => this.sendSafely(res, toWire(errorReply(e), "GET")));
        });
    }

    /** Starts a stand-in; the contract is loaded and prepared once per process. */
    static async start(options: StandInOptions = {}): Promise<InfluxStandIn> {
        const contract = await standInContract(options.specPath);
        const missing = Object.keys(ROUTES).filter((route) => !contract.operationForRoute(route));
        if (missing.length > 0) {
            throw new Error(`stand-in routes missing from the OpenAPI contract: ${missing.join(", ")}`);
        }
        const standIn = new InfluxStandIn(contract, options);
        await standIn.listen(options.port ?? 0);
        return standIn;
    }

    /** Route keys the stand-in serves, e.g. `POST /api/v2/buckets`. */
    static routes(): readonly string[] {
        return Object.keys(ROUTES);
    }

    // -------------------------------------------------------------------------------------------------------
    // Lifecycle
    // -------------------------------------------------------------------------------------------------------

    get url(): string {
        return `http://127.0.0.1:${this.listeningPort}`;
    }

    get port(): number {
        return this.listeningPort;
    }

    /** The operator token of the initial setup (undefined when started not set up). */
    get operatorToken(): string | undefined {
        return this.onboarding?.auth.token;
    }

    get orgId(): string | undefined {
        return this.onboarding?.org.id;
    }

    get orgName(): string | undefined {
        return this.onboarding?.org.name;
    }

    private listen(port: number): Promise<void> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, "127.0.0.1", () => {
                this.server.off("error", reject);
                this.listeningPort = (this.server.address() as AddressInfo).port;
                this.listening = true;
                resolve();
            });
        });
    }

    /** Refuses connections: closes the listener and every open connection. */
    async down(): Promise<void> {
        if (!this.listening) {
            return;
        }
        this.listening = false;
        await new Promise<void>((resolve) => {
            this.server.close(() => resolve());
            this.server.closeAllConnections();
        });
    }

    /** Listens again, on the same port. */
    async up(): Promise<void> {
        if (!this.listening) {
            await this.listen(this.listeningPort);
        }
    }

    async stop(): Promise<void> {
        await this.down();
    }

    // -------------------------------------------------------------------------------------------------------
    // Contract
    // -------------------------------------------------------------------------------------------------------

    /** Whether requests and responses are checked against the OpenAPI contract (false when its file is absent). */
    get validatesContract(): boolean {
        return this.contract.validates;
    }

    contractViolations(): readonly ContractViolation[] {
        return [...this.violations];
    }

    clearContractViolations(): void {
        this.violations.length = 0;
    }

    /** Throws, listing them, when any request or response violated the contract. */
    assertNoContractViolations(): void {
        if (this.violations.length > 0) {
            const lines = this.violations.map((v) => `- ${v.message}`).join("\n");
            throw new Error(`${this.violations.length} OpenAPI contract violation(s):\n${lines}`);
        }
    }

    /** Test-only: the next `times` JSON answers of `route` (or `*`) go through `mutate` before validation. */
    corruptResponse(route: string, mutate: ResponseMutator, times = 1): void {
        this.corruptions.push({ route, mutate, remaining: times });
    }

    // -------------------------------------------------------------------------------------------------------
    // Faults and counters
    // -------------------------------------------------------------------------------------------------------

    /** Replaces the random fault settings (latency, failure rate and kinds, seed). */
    setFaults(options: FaultOptions | undefined): void {
        this.faults.configure(options);
    }

    /** The next `times` requests on `route` (or `*`) fail with `kind`. */
    injectFault(route: string, kind: FaultKind, times = 1): void {
        this.faults.inject(route, kind, times);
    }

    /** The next `times` requests on `route` are applied, then the connection is reset instead of answered. */
    dropResponseAfterApply(route: string, times = 1): void {
        this.faults.dropAfterApply(route, times);
    }

    /** Removes every fault setting, scripted fault and pending drop. */
    clearFaults(): void {
        this.faults.clear();
    }

    /** Requests received per route key, e.g. `{"POST /api/v2/buckets": 2}`, faulted ones included. */
    requestCounts(): Readonly<Record<string, number>> {
        return Object.fromEntries(this.counts);
    }

    resetCounts(): void {
        this.counts.clear();
        this.log.length = 0;
    }

    /** Every request since the last resetCounts, in arrival order, with when it arrived and was answered. */
    requestLog(): readonly Readonly<RequestRecord>[] {
        return this.log.map((r) => ({ ...r }));
    }

    // -------------------------------------------------------------------------------------------------------
    // State (copies)
    // -------------------------------------------------------------------------------------------------------

    orgs(): OrgState[] {
        return structuredClone([...this.state.data.orgs.values()]);
    }

    buckets(): BucketState[] {
        return structuredClone([...this.state.data.buckets.values()]);
    }

    tasks(): TaskState[] {
        return structuredClone([...this.state.data.tasks.values()]);
    }

    /** Authorizations, tokens included. */
    authorizations(): AuthorizationState[] {
        return structuredClone([...this.state.data.authorizations.values()]);
    }

    writes(): WriteState[] {
        return structuredClone(this.state.data.writes);
    }

    private makeOutOfBand(): OutOfBand {
        const state = this.state;
        const org = (orgID?: string) => orgID ?? this.requireSetup().org.id;
        const copy = <T>(value: T): T => structuredClone(value);
        return {
            createOrg: (name) => copy(state.createOrg(name)),
            createBucket: (input) => copy(state.createBucket({ ...input, orgID: org(input.orgID) })),
            updateBucket: (id, changes) => copy(state.updateBucket(id, changes)),
            deleteBucket: (id) => state.deleteBucket(id),
            createTask: (input) =>
                copy(state.createTask({ ...input, orgID: org(input.orgID), ownerID: this.requireSetup().user.id })),
            editTaskFlux: (id, flux) => copy(state.updateTask(id, { flux })),
            updateTask: (id, changes) => copy(state.updateTask(id, changes)),
            deleteTask: (id) => state.deleteTask(id),
            recordTaskRun: (id, report) => copy(state.recordRun(id, report)),
            createAuthorization: (input) =>
                copy(
                    state.createAuthorization({
                        ...input,
                        orgID: org(input.orgID),
                        userID: input.userID ?? this.requireSetup().user.id,
                    }),
                ),
            updateAuthorization: (id, changes) => copy(state.updateAuthorization(id, changes)),
            revokeAuthorization: (id) => state.deleteAuthorization(id),
        };
    }

    private requireSetup(): SetupResult {
        const setup = this.onboarding;
        if (!setup) {
            throw new Error("the stand-in was started without setup: pass orgID/userID explicitly");
        }
        return setup;
    }

    // -------------------------------------------------------------------------------------------------------
    // The request pipeline
    // -------------------------------------------------------------------------------------------------------

    private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const arrived = performance.now();
        const raw = await readBody(req);
        const method = (req.method ?? "GET").toUpperCase();
        const url = new URL(req.url ?? "/", "http://stand-in.invalid");
        const matched = this.contract.match(method, url.pathname);
        const operation = typeof matched === "object" ? matched.operation : undefined;
        const route = operation?.routeKey ?? `${method} ${url.pathname}`;
        this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
        const record: RequestRecord = { route, path: url.pathname, startMs: arrived, endMs: arrived };
        this.log.push(record);
        res.once("close", () => (record.endMs = performance.now()));

        await sleep(this.faults.latency());
        const fault = this.faults.decide(route);
        if (fault === "reset") {
            return resetConnection(req);
        }
        if (fault === "stall") {
            await sleep(this.faults.stallMs);
        }
        const exchange: Exchange = { req, method, url, raw, matched };
        const reply = fault === "503" || fault === "429" ? this.faultReply(fault, operation) : this.serve(exchange);
        const wire = toWire(this.corrupted(route, reply), method);
        const checked =
            operation && this.shouldCheck(operation, fault, wire.status)
                ? this.checkResponse(exchange, operation, wire)
                : wire;
        if (this.faults.shouldDrop(route)) {
            return resetConnection(req);
        }
        this.sendSafely(res, checked);
    }

    /**
     * Every answer of a known operation is checked, except an injected 503/429 on an operation that declares neither
     * that status nor a default: such faults stand for the infrastructure (a proxy, an overloaded node), which the
     * API contract does not describe. Unknown paths (404 "path not found") have no operation to check against.
     */
    private shouldCheck(operation: ContractOperation, fault: FaultKind | undefined, status: number): boolean {
        const injected = fault === "503" || fault === "429";
        return !(injected && this.contract.declaredContent(operation, status) === undefined);
    }

    private sendSafely(res: http.ServerResponse, wire: WireResponse): void {
        if (res.destroyed || res.headersSent) {
            return;
        }
        res.writeHead(wire.status, wire.headers);
        res.end(wire.body);
    }

    private serve(exchange: Exchange): RouteReply {
        const { matched, method } = exchange;
        if (matched === undefined) {
            return errorReply(new ApiError(404, "not found", "path not found"));
        }
        if (matched === "method") {
            return errorReply(new ApiError(405, "method not allowed", `method ${method} is not allowed`));
        }
        const requestErrors = this.checkRequest(exchange, matched.operation);
        const route = ROUTES[matched.operation.routeKey];
        if (!route) {
            const message = `the stand-in does not implement ${matched.operation.operationId}`;
            return errorReply(new ApiError(501, "not implemented", message));
        }
        try {
            const auth = route.auth ? this.authenticate(exchange.req.headers.authorization) : undefined;
            if (requestErrors.length > 0 && this.options.rejectInvalidRequests !== false) {
                const details = describeContractErrors(requestErrors);
                throw invalid(
                    `request does not match the InfluxDB API contract (${matched.operation.operationId}): ${details}`,
                );
            }
            return route.handle(this.contextFor(exchange, matched, auth));
        } catch (e) {
            return errorReply(e);
        }
    }

    private contextFor(
        exchange: Exchange,
        matched: MatchedRequest,
        auth: AuthorizationState | undefined,
    ): RouteContext {
        const text = decodeBody(exchange.raw, exchange.req.headers);
        return {
            params: matched.params,
            query: exchange.url.searchParams,
            headers: exchange.req.headers,
            body: parseJson(text),
            text,
            auth,
            state: this.state,
            views: this.views,
            facts: this.facts,
        };
    }

    /**
     * `Authorization: Token <token>` (or Bearer) of a known authorization, else 401 "unauthorized access". An inactive
     * one is not refused here: the server refuses it only when a permission is checked (auth.go `PermissionSet`), so
     * its listings come back empty with 200 (influx-model.ts isAllowed, requirePermission).
     */
    private authenticate(header: string | undefined): AuthorizationState {
        const match = /^(?:Token|Bearer)\s+(\S+)\s*$/i.exec(header ?? "");
        const auth = match ? this.state.authorizationByToken(match[1]) : undefined;
        if (!auth) {
            throw UNAUTHORIZED_ACCESS();
        }
        return auth;
    }

    private faultReply(kind: "503" | "429", operation: ContractOperation | undefined): RouteReply {
        const status = Number(kind);
        const headers = { "Retry-After": String(this.faults.retryAfterSeconds) };
        const declared = operation ? this.contract.declaredContent(operation, status) : undefined;
        if (declared !== undefined && declared.length === 0) {
            return { status, headers };
        }
        const code = kind === "503" ? "unavailable" : "too many requests";
        const message = `${code} (fault injected by the stand-in)`;
        if (operation?.routeKey === "GET /health" && status === 503) {
            // an unhealthy instance answers /health with a failing HealthCheck, as the contract declares
            return { status, headers, json: { name: "influxdb", message, status: "fail", checks: [] } };
        }
        return { status, headers, json: { code, message } };
    }

    private corrupted(route: string, reply: RouteReply): RouteReply {
        if (reply.json === undefined) {
            return reply;
        }
        const entry = this.corruptions.find((c) => c.remaining > 0 && (c.route === route || c.route === "*"));
        if (!entry) {
            return reply;
        }
        entry.remaining--;
        return { ...reply, json: entry.mutate(structuredClone(reply.json)) };
    }

    private checkRequest(exchange: Exchange, operation: ContractOperation): ContractError[] {
        let body: string;
        try {
            body = decodeBody(exchange.raw, exchange.req.headers);
        } catch {
            body = exchange.raw.toString("utf8");
        }
        const errors = this.contract.validateRequest(operation, {
            method: exchange.method,
            path: exchange.url.pathname,
            query: exchange.url.search.replace(/^\?/, ""),
            headers: exchange.req.headers,
            body,
        });
        if (errors.length > 0) {
            this.record("request", exchange, operation, errors);
        }
        return errors;
    }

    private checkResponse(exchange: Exchange, operation: ContractOperation, wire: WireResponse): WireResponse {
        const errors = this.contract.validateResponse(operation, wire);
        if (errors.length === 0) {
            return wire;
        }
        const violation = this.record("response", exchange, operation, errors, wire.status);
        if (this.options.failOnResponseViolation === false) {
            return wire;
        }
        return {
            status: 500,
            headers: { "Content-Type": JSON_TYPE, "X-Stand-In-Contract-Violation": "response" },
            body: JSON.stringify({ code: "internal error", message: violation.message }),
        };
    }

    private record(
        direction: ContractViolation["direction"],
        exchange: Exchange,
        operation: ContractOperation,
        errors: readonly ContractError[],
        status?: number,
    ): ContractViolation {
        const where = `${exchange.method} ${exchange.url.pathname} (${operation.operationId})`;
        const what = direction === "request" ? "request" : `${status} response`;
        const violation: ContractViolation = {
            direction,
            method: exchange.method,
            path: exchange.url.pathname,
            routeKey: operation.routeKey,
            operationId: operation.operationId,
            status,
            errors,
            message: `${where}: ${what} violates the InfluxDB OpenAPI contract: ${describeContractErrors(errors)}`,
        };
        this.violations.push(violation);
        return violation;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Test targets: the stand-in, or a real server
// ---------------------------------------------------------------------------------------------------------------

async function realTarget(url: string, token: string, orgName: string | undefined): Promise<TestTarget> {
    const base = url.replace(/\/+$/, "");
    const query = orgName ? `?org=${encodeURIComponent(orgName)}` : "";
    const response = await fetch(`${base}/api/v2/orgs${query}`, { headers: { Authorization: `Token ${token}` } });
    if (!response.ok) {
        throw new Error(`cannot list organizations at ${base}: HTTP ${response.status} ${await response.text()}`);
    }
    const { orgs = [] } = (await response.json()) as { orgs?: { id: string; name: string }[] };
    const org = orgName ? orgs.find((o) => o.name === orgName) : orgs[0];
    if (!org) {
        throw new Error(`organization ${orgName ?? "(any)"} not found at ${base}`);
    }
    return { url: base, token, orgId: org.id, orgName: org.name, standIn: undefined, stop: async () => {} };
}

/**
 * The server tests run against: a real InfluxDB when INFLUXDB_TEST_URL and INFLUXDB_TEST_TOKEN are set (org from
 * INFLUXDB_TEST_ORG, else the first the token sees), otherwise a fresh stand-in. Tests that need stand-in-only
 * features (faults, state hooks) skip themselves when `standIn` is undefined.
 */
export async function startTestTarget(
    options: Omit<StandInOptions, "setup"> & { readonly setup?: Partial<StandInSetup> } = {},
): Promise<TestTarget> {
    const url = process.env.INFLUXDB_TEST_URL;
    const token = process.env.INFLUXDB_TEST_TOKEN;
    if (url && token) {
        return realTarget(url, token, process.env.INFLUXDB_TEST_ORG || undefined);
    }
    const standIn = await InfluxStandIn.start(options);
    return { ...standInTarget(standIn), standIn, stop: () => standIn.stop() };
}

/** The URL, operator token and organization of a stand-in started set up (the default). */
export function standInTarget(standIn: InfluxStandIn): Pick<TestTarget, "url" | "token" | "orgId" | "orgName"> {
    return { url: standIn.url, token: standIn.operatorToken!, orgId: standIn.orgId!, orgName: standIn.orgName! };
}
