// The validators of every stack setting and component argument, in one place: each throws (or returns) a message
// that names the setting and how to fix it. Pure functions; the stack reader (./stack.ts, ./influxdb.ts) and the
// components (which validate their args too, for programs that use them directly) share them.
import { isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { settingError } from "../errors";
import { isPort } from "../../dynamic-providers/common";
import { durationToSeconds } from "../../dynamic-providers/flux/task-option";
import { MIN_RETENTION_SECONDS } from "../../dynamic-providers/influx-rules";

/** Default pinned InfluxDB image tag. InfluxDB 2.x: `latest` is InfluxDB 3, which has no v2 setup/orgs/tasks API. */
export const DEFAULT_INFLUXDB_TAG = "2.7.12";

/** Throw unless `tag` is an InfluxDB 2.x image tag (`2`, `2.7`, `2.7.12`, `2.7.12-alpine`). */
export function checkInflux2Tag(tag: string, setting: string): void {
    if (!/^2(\.\d+){0,2}([-_.][\w.-]+)?$/.test(tag)) {
        const why =
            tag === "latest" || tag === ""
                ? `"${tag || "(no tag)"}" is InfluxDB 3, not 2.x`
                : `"${tag}" is not an InfluxDB 2.x tag`;
        throw settingError(
            `${setting}: image tag ${why}; this program needs InfluxDB 2.x (organizations, buckets, tasks, v2 setup). ` +
                `Pin a 2.x tag, e.g. ${DEFAULT_INFLUXDB_TAG}.`,
        );
    }
}

/** Throw unless `image` (`repo[:tag][@digest]`) carries an InfluxDB 2.x tag; return the tag. */
export function checkInflux2Image(image: string, setting: string): string {
    const withoutDigest = image.split("@")[0];
    const slash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    const tag = colon > slash ? withoutDigest.substring(colon + 1) : "";
    if (tag === "") {
        throw settingError(
            `${setting}: image "${image}" has no tag, which means latest = InfluxDB 3; ` +
                `pin an InfluxDB 2.x tag, e.g. influxdb:${DEFAULT_INFLUXDB_TAG}.`,
        );
    }
    checkInflux2Tag(tag, `${setting} ("${image}")`);
    return tag;
}

/**
 * Parse an InfluxDB duration (`30d`, `1w`, `72h`, `1h30m`; `0`, `0s` or `infinite` for infinite retention) to seconds
 * (0 = infinite). Throws unless it is infinite or at least 1h.
 */
export function parseRetention(value: string, setting: string): number {
    const v = value.trim();
    if (v === "0" || v === "infinite") {
        return 0;
    }
    let seconds: number;
    try {
        // The one Flux duration parser (months and years have no fixed length: refused there).
        seconds = durationToSeconds(v);
    } catch {
        throw settingError(
            `${setting}: "${value}" is not a duration; use e.g. 30d, 1w, 72h or 1h30m (units ns, us, ms, s, m, h, ` +
                `d, w), or 0s for infinite retention.`,
        );
    }
    if (seconds !== 0 && seconds < MIN_RETENTION_SECONDS) {
        throw settingError(
            `${setting}: retention "${value}" is below InfluxDB's minimum of 1h; use 1h or more, or 0s.`,
        );
    }
    return seconds;
}

export { isPort };

/** Throw unless `port` is an integer in 1..65535. */
export function checkPort(port: number, setting: string): void {
    if (!isPort(port)) {
        throw settingError(`${setting}: port must be an integer between 1 and 65535, got ${JSON.stringify(port)}.`);
    }
}

/** Throw unless `address` is an IPv4 or IPv6 address a Docker port can be published on (`127.0.0.1`, `0.0.0.0`). */
export function checkBindAddress(address: string, setting: string): void {
    if (isIP(address) === 0) {
        throw settingError(
            `${setting}: "${address}" is not an IP address; use 127.0.0.1 (this machine only), 0.0.0.0 (every ` +
                `interface) or the address of one interface.`,
        );
    }
}

/**
 * The problem with a boolean setting (`key` as the user writes it, e.g. `flagsmith.enabled`), or undefined when it is
 * a boolean or unset. A quoted `"false"` in the stack file is a string: one message says to write it unquoted.
 */
export function booleanSettingProblem(value: unknown, key: string): string | undefined {
    if (value === undefined || typeof value === "boolean") {
        return undefined;
    }
    if (value === "true" || value === "false") {
        return (
            `${key}: ${JSON.stringify(value)} is a quoted string, not a boolean; write it unquoted in ` +
            `Pulumi.<stack>.yaml, or run: pulumi config set --path ${shellWord(key)} ${value}`
        );
    }
    return `${key}: must be true or false, got ${JSON.stringify(value)}. Fix: pulumi config set --path ${shellWord(key)} true`;
}

/** `word` quoted for a POSIX shell when it holds more than letters, digits and `_.-`. */
export function shellWord(word: string): string {
    return /^[\w.-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Throw unless `value` is a non-blank string. */
export function checkNonEmpty(value: unknown, setting: string, what: string): void {
    if (typeof value !== "string" || value.trim() === "") {
        throw settingError(`${setting}: ${what} must be a non-empty string, got ${JSON.stringify(value)}.`);
    }
}

/** Throw unless `url` is an absolute http(s) URL. */
export function checkHttpUrl(url: string, setting: string): void {
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        throw settingError(`${setting}: "${url}" is not an http(s) URL; use e.g. http://influxdb.example.com:8086.`);
    }
}

/**
 * Validate an Input: synchronously when it is a plain value (so a bad argument fails at construction), inside an
 * `apply` when it is an Output (the error then fails the resources that use the returned Input).
 */
export function validated<T>(value: pulumi.Input<T>, check: (v: T) => void): pulumi.Input<T> {
    if (pulumi.Output.isInstance(value)) {
        return value.apply((v) => {
            check(v as T);
            return v;
        }) as pulumi.Input<T>;
    }
    if (!(value instanceof Promise)) {
        check(value as T);
        return value;
    }
    return pulumi.output(value).apply((v) => {
        check(v as T);
        return v;
    }) as pulumi.Input<T>;
}

/**
 * Why a name cannot go into a Helm chart's environment as written, or undefined. The influxdb2 chart (2.1.2,
 * templates/statefulset.yaml) and the Flagsmith chart (0.81.0, templates/_helpers.tpl) write the organization,
 * bucket and user unquoted (`value: {{ ... }}`), and Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): a
 * name such as `2024`, `yes`, `null` or `a: b` becomes a number, a boolean, null or a map, and the install fails.
 */
export function yamlTextProblem(value: string): string | undefined {
    let read: unknown;
    let invalid = false;
    try {
        read = (YAML.parse(`value: ${value}`, { version: "1.1" }) as { value?: unknown } | null)?.value;
    } catch {
        invalid = true;
    }
    if (!invalid && read === value) return undefined;
    const as = invalid
        ? "invalid YAML"
        : read === null
          ? "null"
          : Array.isArray(read)
            ? "a list"
            : typeof read === "object"
              ? "a map"
              : `a ${typeof read}`;
    return (
        `${JSON.stringify(value)} reaches the Helm chart's environment unquoted and Kubernetes would read it as ${as}, ` +
        "failing the install: choose a name YAML reads as text (letters first, no ': ' or ' #')"
    );
}

/** Whether `value` is a lower-case DNS label (RFC 1123: a-z, 0-9, `-` inside) of at most `max` characters. */
export function isDnsLabel(value: string, max: number): boolean {
    return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= max;
}

/**
 * Throw unless `value` is a lower-case DNS label of at most `max` characters (Kubernetes names: RFC 1123 labels, 63
 * characters; Helm release names: 53).
 */
export function checkDnsLabel(value: string, setting: string, max: number): void {
    if (!isDnsLabel(value, max)) {
        throw settingError(
            `${setting}: "${value}" must be a lower-case DNS label (a-z, 0-9, -) of at most ${max} characters.`,
        );
    }
}

/** Throw unless `value` is a Kubernetes quantity such as `10Gi` (k8s.io/apimachinery resource.Quantity). */
export function checkQuantity(value: string, setting: string): void {
    if (!/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(value)) {
        throw settingError(`${setting}: "${value}" is not a Kubernetes quantity such as 10Gi.`);
    }
}
