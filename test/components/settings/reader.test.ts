// SettingsReader: the one way the stack config is read (components/settings/reader.ts). Typed reads record each
// problem with the key as the user writes it and the fix; readers of nested objects share one problem list.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { InfluxSettingsError } from "../../../components/settings/influxdb";
import { dropUndefined, SettingsReader } from "../../../components/settings/reader";
import { checkPort } from "../../../components/settings/validators";

const unwrap = <T>(o: pulumi.Output<T>) =>
    new Promise<{ value: T; secret: boolean }>((resolve) =>
        pulumi.all([o, pulumi.isSecret(o)]).apply(([value, secret]) => resolve({ value: value as T, secret })),
    );

describe("SettingsReader", () => {
    it("reads typed values under its prefix and returns undefined for unset keys, recording nothing", () => {
        const r = new SettingsReader(
            { port: 8087, name: "n", on: false, map: { a: 1 }, list: ["x"], nested: { deep: "d" } },
            "influxdb",
        );
        assert.strictEqual(r.number("port", checkPort), 8087);
        assert.strictEqual(r.string("name"), "n");
        assert.strictEqual(r.boolean("on"), false);
        assert.deepStrictEqual(r.object("map", ["a"]), { a: 1 });
        assert.deepStrictEqual(r.stringList("list"), ["x"]);
        assert.strictEqual(r.string("nested.deep"), "d");
        assert.strictEqual(r.string("missing"), undefined);
        assert.strictEqual(r.number("missing"), undefined);
        assert.deepStrictEqual(r.problems, []);
    });

    it("takes a string of digits as the number (what `pulumi config set --path` may store)", () => {
        const r = new SettingsReader({ port: "8087", bad: "80a" }, "flagsmith");
        assert.strictEqual(r.number("port", checkPort), 8087);
        assert.strictEqual(r.number("bad"), undefined);
        assert.deepStrictEqual(r.problems, [
            'flagsmith.bad: must be a number, got "80a". Fix: pulumi config set --path flagsmith.bad <number>',
        ]);
    });

    it("records a failed check once, naming the key and the command that sets it", () => {
        const r = new SettingsReader({ port: 0 }, "flagsmith");
        assert.strictEqual(r.number("port", checkPort), undefined);
        assert.deepStrictEqual(r.problems, [
            "flagsmith.port: port must be an integer between 1 and 65535, got 0. " +
                "Fix: pulumi config set --path flagsmith.port <number>",
        ]);
    });

    it("records wrong types, a missing required key, unknown keys of an object and a quoted boolean", () => {
        const r = new SettingsReader(
            { s: 1, o: [1], l: "x", names: [1], b: "false", obj: { known: 1, other: 2 } },
            "influxdb",
        );
        r.string("s");
        r.string("required", undefined, true);
        r.object("o");
        r.list("l");
        r.stringList("names");
        r.boolean("b");
        r.object("obj", ["known"]);
        assert.deepStrictEqual(r.problems, [
            "influxdb.s: must be a string, got 1. Fix: pulumi config set --path influxdb.s <value>",
            "influxdb.required: is required. Fix: pulumi config set --path influxdb.required <value>",
            "influxdb.o: must be an object, got [1]. Fix: pulumi config set --path influxdb.o '{...}'",
            "influxdb.l: must be a list, got \"x\". Fix: pulumi config set --path influxdb.l '[...]'",
            "influxdb.names: must be a list of names, got [1]. Fix: pulumi config set --path influxdb.names '[\"name\"]'",
            'influxdb.b: "false" is a quoted string, not a boolean; write it unquoted in Pulumi.<stack>.yaml, or run: ' +
                "pulumi config set --path influxdb.b false",
            "influxdb.obj.other: unknown setting; known: known. Fix: pulumi config set --path influxdb.obj.other " +
                "(remove it)",
        ]);
    });

    it("value() returns what its parser makes of any value, and records a refusal with the example fix", () => {
        const r = new SettingsReader({ raw: "2w", bad: 5 }, "retention");
        const days = (v: unknown, s: string) => {
            if (typeof v !== "string" || !v.endsWith("w")) throw new Error(`${s}: weeks only.`);
            return Number(v.slice(0, -1)) * 7;
        };
        assert.strictEqual(r.value("raw", days, "2w"), 14);
        assert.strictEqual(r.value("unset", days, "2w"), undefined);
        assert.strictEqual(r.value("bad", days, "2w"), undefined);
        assert.deepStrictEqual(r.problems, [
            "retention.bad: weeks only. Fix: pulumi config set --path retention.bad 2w",
        ]);
    });

    it("at() reads a nested object with the longer prefix, into the same problem list", () => {
        const top = new SettingsReader({});
        top.add("first");
        const flagsmith = top.at("flagsmith", { apiPort: "x" });
        assert.strictEqual(flagsmith.key("apiPort"), "flagsmith.apiPort");
        flagsmith.number("apiPort");
        assert.strictEqual(top.problems.length, 2);
        assert.match(top.problems[1], /^flagsmith\.apiPort: must be a number/);
    });

    it("attempt() records each problem of an error that lists them, else the message; add() skips undefined ones", () => {
        const r = new SettingsReader({});
        r.attempt(() => {
            throw new InfluxSettingsError(["influxdb.port: p", "influxdb.org: o"]);
        });
        r.attempt(() => {
            throw new pulumi.RunError("retention.raw: r");
        });
        r.attempt(() => undefined);
        r.add(undefined);
        r.add("retention.downsampled15m: d", undefined, "bucket: b");
        assert.deepStrictEqual(r.problems, [
            "influxdb.port: p",
            "influxdb.org: o",
            "retention.raw: r",
            "retention.downsampled15m: d",
            "bucket: b",
        ]);
    });

    it("secret() returns a secret Output from a string or an Output, and says to set a bad one with --secret", async () => {
        const r = new SettingsReader({ token: "t0k", fromOutput: pulumi.output("o"), bad: 1, empty: "" }, "influxdb");
        assert.deepStrictEqual(await unwrap(r.secret("token", "influxdbToken")!), { value: "t0k", secret: true });
        assert.deepStrictEqual(await unwrap(r.secret("fromOutput", "x")!), { value: "o", secret: true });
        assert.strictEqual(r.secret("bad", "influxdbToken"), undefined);
        const nonEmpty = (v: string, s: string) => {
            if (v === "") throw new Error(`${s}: empty.`);
        };
        assert.strictEqual(r.secret("empty", "influxdbAdminToken", nonEmpty), undefined);
        assert.deepStrictEqual(r.problems, [
            "influxdb.bad: must be a string. Fix: pulumi config set --secret influxdbToken <value>",
            "influxdb.empty: empty. Fix: pulumi config set --secret influxdbAdminToken <value>",
        ]);
    });
});

describe("dropUndefined", () => {
    it("removes undefined fields at every depth and keeps lists and Outputs as they are", () => {
        const output = pulumi.output(1);
        const list = [1, undefined];
        const dropped = dropUndefined({ a: undefined, b: { c: undefined, d: 1 }, list, output }) as Record<
            string,
            unknown
        >;
        assert.deepStrictEqual(Object.keys(dropped), ["b", "list", "output"]);
        assert.deepStrictEqual(dropped.b, { d: 1 });
        assert.strictEqual(dropped.list, list);
        assert.strictEqual(dropped.output, output);
    });
});
