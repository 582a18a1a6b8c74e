// One error mapper for every provider: what went wrong, which resource, the server's code and message; never a token.

/** An InfluxDB API failure as shown to the user: what went wrong, the HTTP status and the server's error code. */
export class InfluxApiError extends Error {
    override readonly name = "InfluxApiError";

    constructor(
        message: string,
        /** HTTP status, when the server answered. */
        readonly status?: number,
        /** InfluxDB error code from the body, e.g. `conflict`, `not found`. */
        readonly code?: string,
    ) {
        super(message);
    }
}

/** Creates an InfluxApiError. */
export function influxApiError(message: string, status?: number, code?: string): InfluxApiError {
    return new InfluxApiError(message, status, code);
}

/** True for an InfluxApiError (by name, so that a copy of this module loaded twice still agrees). */
export function isInfluxApiError(e: unknown): e is InfluxApiError {
    return e instanceof Error && e.name === "InfluxApiError";
}

interface ErrorLike {
    readonly statusCode?: number;
    readonly code?: string;
    readonly message?: string;
    readonly body?: string;
    readonly json?: { code?: unknown; message?: unknown };
    readonly lastError?: unknown;
    readonly cause?: { code?: string; message?: string };
}

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = text;
    for (const s of secrets) {
        if (s && s.length >= 4) {
            out = out.split(s).join("[secret]");
        }
    }
    return out;
}

function serverDetails(e: ErrorLike): { code?: string; message?: string } {
    if (e.json && typeof e.json === "object") {
        return {
            code: typeof e.json.code === "string" ? e.json.code : undefined,
            message: typeof e.json.message === "string" ? e.json.message : undefined,
        };
    }
    if (typeof e.body === "string" && e.body.trim().startsWith("{")) {
        try {
            const parsed = JSON.parse(e.body) as { code?: unknown; message?: unknown };
            return {
                code: typeof parsed.code === "string" ? parsed.code : undefined,
                message: typeof parsed.message === "string" ? parsed.message : undefined,
            };
        } catch {
            return {};
        }
    }
    return { message: e.body || undefined };
}

/** The HTTP status of a client error, if the server answered. */
export function statusOf(error: unknown): number | undefined {
    const e = (error ?? {}) as ErrorLike;
    if (typeof e.statusCode === "number") {
        return e.statusCode;
    }
    return e.lastError !== undefined ? statusOf(e.lastError) : undefined;
}

/**
 * Whether the server refused a create because the organization's plan quota is reached: InfluxDB Cloud answers
 * "creating bucket would exceed quota" (influxdata/community-templates#227, influxdata/docs-v2#3896); its Free plan
 * allows 2 buckets besides `_monitoring` and `_tasks`, and 5 tasks (docs.influxdata.com/influxdb/cloud/
 * account-management/limits/). It is never transient, whatever the status.
 */
export function isQuotaRefusal(serverMessage: string): boolean {
    return /would exceed (?:the )?quota/i.test(serverMessage);
}

/**
 * What to do about a refused token or a reached quota. 401 is the token itself (unknown, deleted or switched off: auth.go
 * `PermissionSet` "token is inactive"); a task call the token may not make comes back as 500 (create, update,
 * delete) or 404 "failed to find task: unauthorized" (read), not 401 (http/task_service.go of InfluxDB v2.7.12).
 */
export function refusalHint(status: number, serverMessage: string, operation: string): string {
    // The authorizer names the permission a known, active token lacks: "<action>:<resource> is unauthorized"
    // (authorizer/authorize.go of InfluxDB v2.7.12); granting a token more than one has: 403 "permission ... is not
    // allowed" (authorizer/auth.go `VerifyPermissions`).
    if (isQuotaRefusal(serverMessage)) {
        return (
            ". The organization's plan allows no more: this stack needs 3 buckets and 4 tasks of its own (InfluxDB " +
            "Cloud's Free plan allows 2 buckets and 5 tasks). Move the organization to a plan with room (Cloud's " +
            "Usage-Based plan) or use another InfluxDB, then run `pulumi up` again: what was created is kept"
        );
    }
    const lacking = /^((?:read|write):\S+) is unauthorized/.exec(serverMessage)?.[1];
    if (status === 401 && lacking) {
        return (
            `. The token lacks the permission ${lacking}: give Pulumi an operator or all-access token of the ` +
            "organization (influxdbToken on an external server)"
        );
    }
    if (status === 403 && /is not allowed/.test(serverMessage)) {
        return ". The token cannot grant a permission it does not have itself: use an operator or all-access token";
    }
    if (status === 401) {
        return (
            ". InfluxDB refused the token: it is unknown to this server, deleted or inactive. On an external server set " +
            "influxdbToken to an operator or all-access token of it; a server Pulumi deployed keeps the token of its " +
            "first boot, which a later change of influxdbAdminToken does not change (README: Troubleshooting)"
        );
    }
    if (/\btask\b/.test(operation) && (status === 404 || status === 500) && /unauthorized/i.test(serverMessage)) {
        return ". The token may not manage tasks: it needs read and write on tasks in the organization (an all-access or operator token has them)";
    }
    return "";
}

/**
 * Maps any failure of `operation` (e.g. `create bucket "default"`) against `url` to an InfluxApiError whose message
 * names the operation, the HTTP status and the server's code and message. Secrets are redacted.
 */
export function mapError(error: unknown, operation: string, url: string, secrets: readonly string[]): InfluxApiError {
    if (isInfluxApiError(error)) {
        return error;
    }
    const e = (error ?? {}) as ErrorLike;
    const prefix = e.lastError !== undefined ? `${e.message}; last error: ` : "";
    const inner = (e.lastError ?? error ?? {}) as ErrorLike;
    let message: string;
    let status: number | undefined;
    let code: string | undefined;
    if (typeof inner.statusCode === "number") {
        status = inner.statusCode;
        const details = serverDetails(inner);
        code = details.code;
        const serverMessage = details.message ?? inner.message ?? "no message";
        message = `${operation} failed: HTTP ${status}${code ? ` ${code}` : ""}: ${serverMessage}${refusalHint(status, serverMessage, operation)}`;
    } else {
        const netCode = inner.code ?? inner.cause?.code;
        message = `${operation} failed: cannot reach InfluxDB at ${url}${netCode ? ` (${netCode})` : ""}: ${inner.message ?? String(error)}`;
    }
    return influxApiError(redact(prefix + message, secrets), status, code);
}

/**
 * A delete that could not reach the server, with how to finish the destroy: bring the server back and run the
 * command again, or, when it is gone for good, drop the resources from the state (the CLI's `pulumi stack rm --force`
 * or `pulumi state delete`). Other errors are returned as they are.
 */
export function withUnreachableDeleteHint(error: unknown): unknown {
    if (!isInfluxApiError(error) || error.status !== undefined) {
        return error;
    }
    return influxApiError(
        `${error.message}. To finish: start InfluxDB again (or fix the connection URL) and run the command again; ` +
            `if the server is gone for good, its resources went with it: remove them from the state with ` +
            `\`pulumi stack rm --force <stack>\` (the whole stack) or \`pulumi state delete <URN>\` ` +
            `(one resource; \`pulumi stack --show-urns\` lists them)`,
        error.status,
        error.code,
    );
}
