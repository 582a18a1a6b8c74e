// The one way the stack config is read: a SettingsReader walks a raw config object (what `pulumi.Config.getObject`
// gives), returns typed values, and records each problem (the key as the user writes it, what is wrong, the fix)
// instead of throwing, so that one error lists every problem of the stack. The stack reader (./stack.ts) and the
// InfluxDB settings (./influxdb.ts) both read through it; the value checks themselves are in ./validators.ts.
import * as pulumi from "@pulumi/pulumi";
import { booleanSettingProblem } from "./validators";

/** A check of one value: throws a setting error whose message starts with `setting` (the key as the user writes it). */
export type Check<T> = (value: T, setting: string) => void;

/** An error that carries a list of problems (InfluxSettingsError, StackConfigError): recorded one by one. */
interface ProblemList {
    readonly problems: readonly string[];
}

function hasProblems(err: unknown): err is ProblemList {
    return (
        typeof err === "object" &&
        err !== null &&
        Array.isArray((err as { problems?: unknown }).problems) &&
        (err as ProblemList).problems.every((p) => typeof p === "string")
    );
}

/** Whether `v` is a plain object (not null, not a list). */
export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `value` with its undefined fields removed, recursively (Outputs and lists are kept as they are). */
export function dropUndefined(value: unknown): unknown {
    if (!isRecord(value) || pulumi.Output.isInstance(value)) {
        return value;
    }
    return Object.fromEntries(
        Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, dropUndefined(v)]),
    );
}

/**
 * Reads typed values out of a raw settings object rooted at `prefix` (`influxdb`, `flagsmith`, or "" for the top
 * level), recording problems instead of throwing. Readers made with {@link SettingsReader.at} share one problem list.
 * A typed read that fails records `<key>: <what is wrong> Fix: pulumi config set --path <key> <example>`.
 */
export class SettingsReader {
    constructor(
        private readonly raw: Record<string, unknown>,
        private readonly prefix = "",
        /** Every problem found so far, in the order found. */
        readonly problems: string[] = [],
    ) {}

    /** A reader of the object under `key` (or of `raw`), sharing this reader's problem list. */
    at(key: string, raw?: Record<string, unknown>): SettingsReader {
        const value = raw ?? this.lookup(key);
        return new SettingsReader(isRecord(value) ? value : {}, this.key(key), this.problems);
    }

    /** The key as the user writes it, e.g. `influxdb.image.tag`. */
    key(path: string): string {
        return this.prefix === "" ? path : `${this.prefix}.${path}`;
    }

    /** Record problems (an undefined one is no problem). */
    add(...problems: (string | undefined)[]): void {
        for (const problem of problems) {
            if (problem !== undefined) {
                this.problems.push(problem);
            }
        }
    }

    /** Run `fn`; what it throws is recorded: each problem of an error that lists them, else the message. */
    attempt(fn: () => void): void {
        try {
            fn();
        } catch (err) {
            if (hasProblems(err)) {
                this.problems.push(...err.problems);
            } else {
                this.problems.push((err as Error).message);
            }
        }
    }

    /** The raw value at the dotted `path` below this reader's root. */
    private lookup(path: string): unknown {
        return path.split(".").reduce<unknown>((obj, key) => (isRecord(obj) ? obj[key] : undefined), this.raw);
    }

    private problem(path: string, message: string, example: string): void {
        const key = this.key(path);
        this.problems.push(
            `${message.startsWith(key) ? "" : `${key}: `}${message} Fix: pulumi config set --path ${key} ${example}`,
        );
    }

    /** Run `check` on a read value; on a problem record it with the fix and return undefined. */
    private run<T>(path: string, value: T, check: Check<T> | undefined, example: string): T | undefined {
        try {
            check?.(value, this.key(path));
            return value;
        } catch (err) {
            this.problem(path, (err as Error).message, example);
            return undefined;
        }
    }

    /**
     * The value at `path` as `parse` returns it (`parse` also checks its type), or undefined when unset or refused;
     * a refusal is recorded with `Fix: pulumi config set --path <key> <example>`.
     */
    value<T>(path: string, parse: (value: unknown, setting: string) => T, example: string): T | undefined {
        const v = this.lookup(path);
        if (v === undefined) {
            return undefined;
        }
        try {
            return parse(v, this.key(path));
        } catch (err) {
            this.problem(path, (err as Error).message, example);
            return undefined;
        }
    }

    /** A string; `required` records a problem when it is missing. */
    string(path: string, check?: Check<string>, required = false): string | undefined {
        const v = this.lookup(path);
        if (v === undefined || v === null) {
            if (required) {
                this.problem(path, "is required.", "<value>");
            }
            return undefined;
        }
        if (typeof v !== "string") {
            this.problem(path, `must be a string, got ${JSON.stringify(v)}.`, "<value>");
            return undefined;
        }
        return this.run(path, v, check, "<value>");
    }

    /** A number; a string of digits (as `pulumi config set --path` stores it) is taken as the number. */
    number(path: string, check?: Check<number>): number | undefined {
        const v = this.lookup(path);
        if (v === undefined || v === null) {
            return undefined;
        }
        const n = typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
        if (typeof n !== "number") {
            this.problem(path, `must be a number, got ${JSON.stringify(v)}.`, "<number>");
            return undefined;
        }
        return this.run(path, n, check, "<number>");
    }

    /** A boolean; a quoted `"false"` is refused with its own message (validators.ts booleanSettingProblem). */
    boolean(path: string): boolean | undefined {
        const v = this.lookup(path);
        this.add(v === null ? undefined : booleanSettingProblem(v, this.key(path)));
        return typeof v === "boolean" ? v : undefined;
    }

    /** An object; keys outside `allowedKeys` (when given) are recorded as unknown. */
    object(path: string, allowedKeys?: readonly string[]): Record<string, unknown> | undefined {
        const v = this.lookup(path);
        if (v === undefined || v === null) {
            return undefined;
        }
        if (!isRecord(v)) {
            this.problem(path, `must be an object, got ${JSON.stringify(v)}.`, "'{...}'");
            return undefined;
        }
        for (const key of Object.keys(v)) {
            if (allowedKeys && !allowedKeys.includes(key)) {
                this.problem(`${path}.${key}`, `unknown setting; known: ${allowedKeys.join(", ")}.`, "(remove it)");
            }
        }
        return v;
    }

    /** A list. */
    list(path: string): unknown[] | undefined {
        const v = this.lookup(path);
        if (v === undefined || v === null) {
            return undefined;
        }
        if (!Array.isArray(v)) {
            this.problem(path, `must be a list, got ${JSON.stringify(v)}.`, "'[...]'");
            return undefined;
        }
        return v;
    }

    /** A list of names. */
    stringList(path: string): string[] | undefined {
        const v = this.list(path);
        if (v && !v.every((e) => typeof e === "string")) {
            this.problem(path, `must be a list of names, got ${JSON.stringify(v)}.`, `'["name"]'`);
            return undefined;
        }
        return v as string[] | undefined;
    }

    /**
     * A secret read from its own top-level config key `configKey` (never from the object): a string or an Output,
     * returned as a secret Output. A problem says to set it with `--secret`.
     */
    secret(path: string, configKey: string, check?: Check<string>): pulumi.Output<string> | undefined {
        const v = this.raw[path];
        if (v === undefined || v === null) {
            return undefined;
        }
        if (pulumi.Output.isInstance(v)) {
            return pulumi.secret(v as pulumi.Output<string>);
        }
        const fix = `Fix: pulumi config set --secret ${configKey} <value>`;
        if (typeof v !== "string") {
            this.problems.push(`${this.key(path)}: must be a string. ${fix}`);
            return undefined;
        }
        try {
            check?.(v, this.key(path));
        } catch (err) {
            this.problems.push(`${(err as Error).message} ${fix}`);
            return undefined;
        }
        return pulumi.secret(v);
    }
}
