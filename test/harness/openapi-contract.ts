// The InfluxDB v2 OSS OpenAPI contract as a validator: loads the official spec once per process, prepares it, and
// validates requests and responses with openapi-backend (Ajv 8) against the operation they belong to.
//
// How the spec's quirks are handled (faithful readings of OpenAPI 3.0, not loosenings):
// - `readOnly` properties listed in `required` are required in responses only (OAS 3.0: "SHALL be required only in
//   the response"); `writeOnly` ones in requests only. Each operation's request and response schemas get their own
//   copy with `required` adjusted; sending a readOnly property in a request is not flagged ("SHOULD NOT", not MUST).
// - `nullable: true` without a `type` is dropped (OAS 3.0.3: nullable only adds null to an explicit `type`). Ajv
//   supports `nullable` with a `type` natively.
// - Header parameters named Accept, Content-Type or Authorization are ignored, as OAS 3.0 says they SHALL be; the
//   request's media type is instead checked against the operation's declared request body content. (Accept-Encoding
//   is ignored too: see the exceptions.)
// - A response must use a status the operation declares (exactly, as NXX, or through `default`); a response declared
//   without content must have no body; one declared with content must carry a declared media type, and JSON bodies
//   are validated against the schema of that status.
// - Formats: `date-time` is checked as RFC 3339, `duration` as a Flux duration literal, int32/int64/float/double/
//   byte/binary/password by openapi-backend. Formats that name no checkable syntax (`flux`, `Go runtime profile`,
//   `Prometheus text-based exposition`, `Command line`, ...) are annotations only.
// - Undeclared query parameters are violations (openapi-backend's behaviour): a typo such as `orgId` is caught.
//
// Deliberate exceptions, where the spec and InfluxDB 2.7 disagree and the stand-in follows the server; each is listed
// in CONTRACT_EXCEPTIONS so that tests and readers can see them.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { IncomingHttpHeaders } from "node:http";
import { AjvCustomizer, Document, Operation, OpenAPIRouter, OpenAPIValidator, SetMatchType } from "openapi-backend";
import { dereference } from "openapi-backend/refparser";
import YAML from "yaml";
import { referencePath } from "./reference-data";

/** The official InfluxDB v2 OSS OpenAPI contract (reference data beside the repository: see reference-data.ts). */
export const INFLUXDB_OPENAPI_SPEC_PATH = referencePath("influxdb-v2-oss-openapi.yml");

/** One documented place where the stand-in follows InfluxDB 2.7 rather than the letter of the spec. */
export interface ContractException {
    readonly id: string;
    readonly what: string;
    readonly why: string;
}

export const CONTRACT_EXCEPTIONS: readonly ContractException[] = [
    {
        id: "ping-version-header",
        what: "The X-Influxdb-Version header of GET/HEAD /ping is not validated.",
        why: 'The spec declares it an integer; InfluxDB 2.7 sends a version string such as "v2.7.11".',
    },
    {
        id: "query-csv-media-type",
        what: "A 200 from POST /api/v2/query may be text/csv where the spec says application/csv.",
        why: "InfluxDB 2.7 answers Flux queries with Content-Type: text/csv; charset=utf-8.",
    },
    {
        id: "accept-encoding",
        what: "The Accept-Encoding request header is not validated (it is ignored like Accept).",
        why:
            'The spec gives it the enum [gzip, identity], but it is an HTTP negotiation list: Node fetch sends "gzip, ' +
            'deflate", and InfluxDB 2.7 answers such requests normally.',
    },
    {
        id: "org-or-orgid",
        what: "A request whose `org` query parameter the spec requires may name the organization by `orgID` instead.",
        why:
            "InfluxDB 2.7 finds the organization from `org` (a name or an ID) or `orgID` (http/requests.go " +
            "`queryOrganization`), and the providers and Flagsmith's clients send `orgID` to /api/v2/write and /query.",
    },
    {
        id: "uri-reference",
        what: "format: uri accepts URI references (relative URLs), not only absolute URIs.",
        why: 'Every `links` object of InfluxDB 2.7 holds relative paths ("/api/v2/buckets/...").',
    },
];

/** One validation error, in Ajv's terms. */
export interface ContractError {
    readonly keyword: string;
    /** JSON pointer into the validated data, e.g. `/requestBody/orgID`, `/createdAt`. */
    readonly instancePath: string;
    readonly schemaPath: string;
    readonly message: string;
    readonly params: Readonly<Record<string, unknown>>;
}

/** An operation of the spec, as the stand-in routes to it. */
export interface ContractOperation {
    readonly operationId: string;
    /** Upper-case HTTP method. */
    readonly method: string;
    /** Path template as written in the spec, e.g. `/buckets/{bucketID}`. */
    readonly specPath: string;
    /** Server base the path is served under: `/api/v2`, or `` for /health, /ready, /ping... */
    readonly base: string;
    /** `METHOD base+specPath`, e.g. `GET /api/v2/buckets/{bucketID}`. */
    readonly routeKey: string;
}

/** A request matched to an operation. */
export interface MatchedRequest {
    readonly operation: ContractOperation;
    /** Path parameters, decoded. */
    readonly params: Readonly<Record<string, string>>;
}

/** What the contract needs to know about a request. */
export interface ContractRequest {
    readonly method: string;
    /** URL path as received, e.g. `/api/v2/buckets/0123456789abcdef`. */
    readonly path: string;
    /** Raw query string without `?`. */
    readonly query: string;
    readonly headers: IncomingHttpHeaders;
    /** Raw body (empty when none). */
    readonly body: string;
}

/** What the contract needs to know about a response. */
export interface ContractResponse {
    readonly status: number;
    readonly headers: Readonly<Record<string, string | number | readonly string[] | undefined>>;
    /** Raw body (empty when none). */
    readonly body: string;
}

type JsonObject = Record<string, unknown>;

const SERVED_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
/** OAS 3.0 says these header parameters SHALL be ignored; accept-encoding is exception "accept-encoding". */
const IGNORED_HEADER_PARAMETERS = new Set(["accept", "content-type", "authorization", "accept-encoding"]);
const EXEMPT_RESPONSE_HEADERS: Readonly<Record<string, readonly string[]>> = {
    GetPing: ["x-influxdb-version"],
    HeadPing: ["x-influxdb-version"],
};

function isObject(value: unknown): value is JsonObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mediaTypeOf(contentType: string | undefined): string {
    return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

function headerValue(value: string | number | readonly string[] | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    return Array.isArray(value) ? value.join(", ") : String(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Loading (cached on disk as JSON: parsing the 650 kB YAML costs ~0.5 s, reading the JSON ~20 ms)
// ---------------------------------------------------------------------------------------------------------------

function cachePathFor(text: string): string {
    const digest = crypto.createHash("sha256").update(text).digest("hex").slice(0, 20);
    return path.join(os.tmpdir(), `influxdb-openapi-${digest}.json`);
}

function readRawSpec(specPath: string): JsonObject {
    const text = fs.readFileSync(specPath, "utf8");
    const cachePath = cachePathFor(text);
    try {
        return JSON.parse(fs.readFileSync(cachePath, "utf8")) as JsonObject;
    } catch {
        // no usable cache: parse the YAML below
    }
    const parsed = YAML.parse(text) as JsonObject;
    try {
        const tmp = `${cachePath}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(parsed));
        fs.renameSync(tmp, cachePath);
    } catch {
        // the cache is an optimisation only
    }
    return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// Preparation: per-direction schema views (readOnly / writeOnly / nullable), ignored header parameters
// ---------------------------------------------------------------------------------------------------------------

/** A memoised, cycle-preserving copy of dereferenced schemas as seen from one direction of the exchange. */
class SchemaView {
    private readonly copies = new WeakMap<object, unknown>();

    constructor(private readonly hiddenFlag: "readOnly" | "writeOnly") {}

    of(node: unknown): unknown {
        if (typeof node !== "object" || node === null) {
            return node;
        }
        const known = this.copies.get(node);
        if (known !== undefined) {
            return known;
        }
        if (Array.isArray(node)) {
            const copy: unknown[] = [];
            this.copies.set(node, copy);
            node.forEach((item) => copy.push(this.of(item)));
            return copy;
        }
        const source = node as JsonObject;
        const copy: JsonObject = {};
        this.copies.set(node, copy);
        for (const [key, value] of Object.entries(source)) {
            copy[key] = this.of(value);
        }
        this.adjust(source, copy);
        return copy;
    }

    private adjust(source: JsonObject, copy: JsonObject): void {
        if (copy.nullable === true && copy.type === undefined) {
            delete copy.nullable;
        }
        const properties = source.properties;
        if (Array.isArray(source.required) && isObject(properties)) {
            copy.required = source.required.filter((name) => {
                const property = properties[String(name)];
                return !(isObject(property) && property[this.hiddenFlag] === true);
            });
        }
    }
}

function prepareMediaSchemas(content: unknown, view: SchemaView): void {
    if (!isObject(content)) {
        return;
    }
    for (const media of Object.values(content)) {
        if (isObject(media) && media.schema !== undefined) {
            media.schema = view.of(media.schema);
        }
    }
}

function withoutIgnoredHeaders(parameters: unknown): unknown {
    if (!Array.isArray(parameters)) {
        return parameters;
    }
    return parameters.filter(
        (p) => !(isObject(p) && p.in === "header" && IGNORED_HEADER_PARAMETERS.has(String(p.name).toLowerCase())),
    );
}

function prepareOperation(operation: JsonObject, requestView: SchemaView, responseView: SchemaView): void {
    operation.parameters = withoutIgnoredHeaders(operation.parameters);
    if (isObject(operation.requestBody)) {
        const requestBody = { ...operation.requestBody, content: copyContent(operation.requestBody.content) };
        prepareMediaSchemas(requestBody.content, requestView);
        operation.requestBody = requestBody;
    }
    if (isObject(operation.responses)) {
        const responses: JsonObject = {};
        for (const [status, response] of Object.entries(operation.responses)) {
            responses[status] = isObject(response) ? { ...response, content: copyContent(response.content) } : response;
            if (isObject(responses[status])) {
                prepareMediaSchemas((responses[status] as JsonObject).content, responseView);
            }
        }
        operation.responses = responses;
    }
}

function copyContent(content: unknown): unknown {
    if (!isObject(content)) {
        return content;
    }
    return Object.fromEntries(Object.entries(content).map(([k, v]) => [k, isObject(v) ? { ...v } : v]));
}

function prepareDocument(doc: JsonObject): void {
    const requestView = new SchemaView("readOnly");
    const responseView = new SchemaView("writeOnly");
    const paths = isObject(doc.paths) ? doc.paths : {};
    for (const pathItem of Object.values(paths)) {
        if (!isObject(pathItem)) {
            continue;
        }
        pathItem.parameters = withoutIgnoredHeaders(pathItem.parameters);
        for (const method of SERVED_METHODS) {
            const operation = pathItem[method];
            if (isObject(operation)) {
                const copy = { ...operation };
                prepareOperation(copy, requestView, responseView);
                pathItem[method] = copy;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const FLUX_DURATION = /^-?(\d+(y|mo|w|d|h|ms|m|s|us|µs|ns))+$/;
const URI_REFERENCE = /^[^\s%<>"{}|\\^`]*(%[0-9A-Fa-f]{2}[^\s%<>"{}|\\^`]*)*$/;
/** Formats openapi-backend defines itself. */
const BUILT_IN_FORMATS = new Set(["int32", "int64", "float", "double", "byte", "binary", "password"]);

const CHECKED_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
    "date-time": (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
    duration: (v) => FLUX_DURATION.test(v),
    uri: (v) => URI_REFERENCE.test(v),
};

function collectFormats(node: unknown, into: Set<string>, seen = new WeakSet<object>()): Set<string> {
    if (typeof node !== "object" || node === null || seen.has(node)) {
        return into;
    }
    seen.add(node);
    if (!Array.isArray(node) && typeof (node as JsonObject).format === "string") {
        into.add((node as JsonObject).format as string);
    }
    for (const value of Object.values(node)) {
        collectFormats(value, into, seen);
    }
    return into;
}

function formatCustomizer(allFormats: ReadonlySet<string>): AjvCustomizer {
    return (ajv) => {
        for (const name of allFormats) {
            if (BUILT_IN_FORMATS.has(name)) {
                continue;
            }
            const check = CHECKED_FORMATS[name];
            ajv.addFormat(name, check ? { type: "string", validate: check } : true);
        }
        return ajv;
    };
}

// ---------------------------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------------------------

interface ValidatorError {
    keyword: string;
    instancePath: string;
    schemaPath: string;
    message?: string;
    params: Record<string, unknown>;
}

function toContractErrors(errors: readonly ValidatorError[] | null | undefined): ContractError[] {
    return (errors ?? []).map((e) => ({
        keyword: e.keyword,
        instancePath: e.instancePath,
        schemaPath: e.schemaPath,
        message: e.message ?? e.keyword,
        params: { ...e.params },
    }));
}

function contractError(keyword: string, message: string, instancePath = ""): ContractError {
    return { keyword, instancePath, schemaPath: "", message, params: {} };
}

/** Formats errors as one line each: `/requestBody/orgID: must be string`. */
export function describeContractErrors(errors: readonly ContractError[]): string {
    return errors.map((e) => `${e.instancePath || "(root)"}: ${e.message}`).join("; ");
}

/** openapi-backend's router rebuilds its operation list on every lookup; the prepared spec never changes. */
class CachedRouter extends OpenAPIRouter {
    private cached: Operation[] | undefined;

    getOperations(): Operation[] {
        this.cached ??= super.getOperations();
        return this.cached;
    }
}

function decodeSegment(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}

interface PathMatcher {
    readonly operation: ContractOperation;
    readonly pattern: RegExp;
    readonly names: readonly string[];
    readonly literalLength: number;
}

function pathMatcher(operation: ContractOperation): PathMatcher {
    const names: string[] = [];
    const source = operation.specPath
        .split(/(\{[^}]+\})/)
        .map((part) => {
            const name = /^\{([^}]+)\}$/.exec(part)?.[1];
            if (name === undefined) {
                return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            }
            names.push(name);
            return "([^/]+)";
        })
        .join("");
    const literalLength = operation.specPath.replace(/\{[^}]+\}/g, "").length;
    return { operation, pattern: new RegExp(`^${source}$`), names, literalLength };
}

/** Request paths to operations, honouring each operation's server base; the most specific path wins. */
class RouteTable {
    /** Path patterns, most specific (most literal characters) first. */
    private readonly matchers: PathMatcher[];

    constructor(operations: readonly ContractOperation[]) {
        this.matchers = operations.map(pathMatcher).sort((a, b) => b.literalLength - a.literalLength);
    }

    match(method: string, urlPath: string): MatchedRequest | "method" | undefined {
        const path = urlPath.length > 1 ? urlPath.replace(/\/+$/, "") : urlPath;
        let pathExists = false;
        for (const matcher of this.matchers) {
            const base = matcher.operation.base;
            const underBase = base === "" || path === base || path.startsWith(`${base}/`);
            const found = underBase ? matcher.pattern.exec(path.slice(base.length) || "/") : null;
            if (!found) {
                continue;
            }
            if (matcher.operation.method !== method.toUpperCase()) {
                pathExists = true;
                continue;
            }
            const params = Object.fromEntries(matcher.names.map((name, i) => [name, decodeSegment(found[i + 1])]));
            return { operation: matcher.operation, params };
        }
        return pathExists ? "method" : undefined;
    }
}

/**
 * What the stand-in needs from the contract: routing, and the checks of requests and responses. OpenApiContract
 * validates; routesWithoutContract only routes (the contract file is absent).
 */
export interface StandInContract {
    /** Whether requests and responses are checked against the OpenAPI contract. */
    readonly validates: boolean;
    operationForRoute(routeKey: string): ContractOperation | undefined;
    match(method: string, urlPath: string): MatchedRequest | "method" | undefined;
    validateRequest(operation: ContractOperation, request: ContractRequest): ContractError[];
    validateResponse(operation: ContractOperation, response: ContractResponse): ContractError[];
    declaredContent(operation: ContractOperation, status: number): readonly string[] | undefined;
}

/** The API base of the stand-in's routes under /api/v2 (the others, /health, /ready, /ping, are at the root). */
const API_BASE = "/api/v2";

/**
 * Routing for route keys such as `GET /api/v2/buckets/{bucketID}` without the contract: nothing is validated and no
 * status is declared (injected 503/429 faults answer JSON). Used when the OpenAPI file is absent.
 */
export function routesWithoutContract(routeKeys: readonly string[]): StandInContract {
    const operations = new Map(
        routeKeys.map((routeKey) => {
            const [method, fullPath] = routeKey.split(" ");
            const base = fullPath.startsWith(`${API_BASE}/`) ? API_BASE : "";
            const specPath = fullPath.slice(base.length);
            return [routeKey, { operationId: routeKey, method, specPath, base, routeKey }] as const;
        }),
    );
    const table = new RouteTable([...operations.values()]);
    return {
        validates: false,
        operationForRoute: (routeKey) => operations.get(routeKey),
        match: (method, urlPath) => table.match(method, urlPath),
        validateRequest: () => [],
        validateResponse: () => [],
        declaredContent: () => undefined,
    };
}

export class OpenApiContract implements StandInContract {
    readonly validates = true;
    private readonly router: OpenAPIRouter;
    private readonly validator: OpenAPIValidator;
    private readonly operationsById = new Map<string, Operation>();
    private readonly contractOps = new Map<string, ContractOperation>();
    private readonly routes: RouteTable;
    private readonly defaultBase: string;
    /** Non-standard formats treated as annotations (no syntax to check). */
    readonly annotationOnlyFormats: readonly string[];

    constructor(document: JsonObject) {
        const definition = document as unknown as Document;
        const formats = collectFormats(document.paths, new Set<string>());
        this.annotationOnlyFormats = [...formats].filter((f) => !BUILT_IN_FORMATS.has(f) && !CHECKED_FORMATS[f]);
        this.router = new CachedRouter({ definition, apiRoot: "/" });
        this.validator = new OpenAPIValidator({
            definition,
            router: this.router,
            lazyCompileValidators: true,
            ajvOpts: { allErrors: true },
            customizeAjv: formatCustomizer(formats),
        });
        const servers = Array.isArray(document.servers) ? document.servers : [];
        this.defaultBase = isObject(servers[0]) ? String(servers[0].url ?? "") : "";
        for (const op of this.router.getOperations()) {
            this.register(op);
        }
        this.routes = new RouteTable([...this.contractOps.values()]);
    }

    private register(op: Operation): void {
        if (!op.operationId) {
            return;
        }
        const servers = (op as { servers?: { url?: string }[] }).servers;
        const base = (servers?.[0]?.url ?? this.defaultBase).replace(/\/$/, "");
        const method = op.method.toUpperCase();
        const contractOp: ContractOperation = {
            operationId: op.operationId,
            method,
            specPath: op.path,
            base,
            routeKey: `${method} ${base}${op.path}`,
        };
        this.operationsById.set(op.operationId, op);
        this.contractOps.set(contractOp.routeKey, contractOp);
    }

    /** Every operation of the spec. */
    operations(): readonly ContractOperation[] {
        return [...this.contractOps.values()];
    }

    /** The operation behind a route key such as `GET /api/v2/buckets/{bucketID}`, if the spec has one. */
    operationForRoute(routeKey: string): ContractOperation | undefined {
        return this.contractOps.get(routeKey);
    }

    /**
     * Matches a request path to an operation, honouring each operation's server base (`/api/v2`, or the root for
     * /health, /ready, /ping). Answers "method" when the path exists with other methods only.
     */
    match(method: string, urlPath: string): MatchedRequest | "method" | undefined {
        return this.routes.match(method, urlPath);
    }

    /** Validates a request against its operation: parameters, body schema and body media type. */
    validateRequest(operation: ContractOperation, request: ContractRequest): ContractError[] {
        const op = this.operationsById.get(operation.operationId);
        if (!op) {
            return [contractError("operation", `unknown operation ${operation.operationId}`)];
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
            if (value !== undefined) {
                headers[name] = Array.isArray(value) ? value.join(", ") : value;
            }
        }
        const result = this.validator.validateRequest(
            {
                method: request.method.toLowerCase(),
                path: request.path.slice(operation.base.length) || "/",
                headers,
                query: request.query,
                body: request.body === "" ? undefined : request.body,
            },
            op,
        );
        const byOrgId = (new URLSearchParams(request.query).get("orgID") ?? "") !== "";
        const errors = toContractErrors(result.errors).filter(
            // exception "org-or-orgid"
            (e) =>
                !(
                    byOrgId &&
                    e.keyword === "required" &&
                    e.instancePath === "/query" &&
                    e.params.missingProperty === "org"
                ),
        );
        return [...errors, ...this.mediaTypeErrors(op, request)];
    }

    private mediaTypeErrors(op: Operation, request: ContractRequest): ContractError[] {
        const content = (op.requestBody as { content?: JsonObject } | undefined)?.content;
        if (!content || request.body === "") {
            return [];
        }
        const mediaType = mediaTypeOf(headerValue(request.headers["content-type"]));
        if (mediaType in content) {
            return [];
        }
        const declared = Object.keys(content).join(", ");
        return [contractError("mediaType", `request media type "${mediaType}" is not declared (${declared})`)];
    }

    /**
     * Media types the operation declares for a status: [] when it declares the status without content, undefined
     * when it does not declare the status (nor a default).
     */
    declaredContent(operation: ContractOperation, status: number): readonly string[] | undefined {
        const op = this.operationsById.get(operation.operationId);
        const declared = op && this.declaredResponse(op, status);
        return declared ? Object.keys(isObject(declared.content) ? declared.content : {}) : undefined;
    }

    /** Validates a response against the response its operation declares for that status. */
    validateResponse(operation: ContractOperation, original: ContractResponse): ContractError[] {
        const headers = Object.fromEntries(Object.entries(original.headers).map(([k, v]) => [k.toLowerCase(), v]));
        const response = { ...original, headers };
        const op = this.operationsById.get(operation.operationId);
        if (!op) {
            return [contractError("operation", `unknown operation ${operation.operationId}`)];
        }
        const declared = this.declaredResponse(op, response.status);
        if (!declared) {
            return [contractError("status", `status ${response.status} is not declared and there is no default`)];
        }
        return [...this.headerErrors(op, response), ...this.bodyErrors(op, declared, response)];
    }

    private declaredResponse(op: Operation, status: number): JsonObject | undefined {
        const responses = (op.responses ?? {}) as JsonObject;
        const found = responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
        return isObject(found) ? found : undefined;
    }

    private headerErrors(op: Operation, response: ContractResponse): ContractError[] {
        const exempt = EXEMPT_RESPONSE_HEADERS[String(op.operationId)] ?? [];
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
            const text = headerValue(value);
            if (text !== undefined && !exempt.includes(name.toLowerCase())) {
                headers[name.toLowerCase()] = text;
            }
        }
        const result = this.validator.validateResponseHeaders(headers, op, {
            statusCode: response.status,
            setMatchType: SetMatchType.Any,
        });
        return toContractErrors(result.errors);
    }

    private bodyErrors(op: Operation, declared: JsonObject, response: ContractResponse): ContractError[] {
        const content = isObject(declared.content) ? declared.content : {};
        const mediaTypes = Object.keys(content);
        if (mediaTypes.length === 0) {
            return response.body === ""
                ? []
                : [contractError("content", `status ${response.status} declares no content, but a body was sent`)];
        }
        if (response.body === "") {
            return [contractError("content", `status ${response.status} declares content (${mediaTypes}), none sent`)];
        }
        const mediaType = this.effectiveMediaType(op, response);
        if (!mediaTypes.includes(mediaType)) {
            return [contractError("mediaType", `media type "${mediaType}" is not declared (${mediaTypes.join(", ")})`)];
        }
        if (mediaType !== "application/json") {
            return [];
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(response.body);
        } catch (e) {
            return [contractError("parse", `response body is not JSON: ${(e as Error).message}`)];
        }
        return toContractErrors(this.validator.validateResponse(parsed, op, response.status).errors);
    }

    private effectiveMediaType(op: Operation, response: ContractResponse): string {
        const mediaType = mediaTypeOf(headerValue(response.headers["content-type"]));
        if (op.operationId === "PostQuery" && mediaType === "text/csv") {
            return "application/csv"; // exception "query-csv-media-type"
        }
        return mediaType;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Per-process cache
// ---------------------------------------------------------------------------------------------------------------

const loaded = new Map<string, Promise<OpenApiContract>>();

async function buildContract(specPath: string): Promise<OpenApiContract> {
    const raw = readRawSpec(specPath) as unknown as Parameters<typeof dereference>[0];
    const document = (await dereference(raw)) as unknown as JsonObject;
    prepareDocument(document);
    return new OpenApiContract(document);
}

/** Loads, dereferences and prepares the spec; once per process and spec path. */
export function loadContract(specPath: string = INFLUXDB_OPENAPI_SPEC_PATH): Promise<OpenApiContract> {
    let contract = loaded.get(specPath);
    if (!contract) {
        contract = buildContract(specPath);
        loaded.set(specPath, contract);
        contract.catch(() => loaded.delete(specPath));
    }
    return contract;
}
