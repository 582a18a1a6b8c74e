// Pulumi.yaml and the stack files: what the Pulumi CLI will read must be valid, and every example stack must pass the
// program's own config validation.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { runProgram } from "../harness/mocks";
import { programMocks } from "../harness/program-mocks";

const root = path.join(__dirname, "..", "..");
const read = (file: string) => parse(fs.readFileSync(path.join(root, file), "utf8")) as Record<string, unknown>;
const program = () => (require("../../index") as () => Promise<Record<string, unknown>>)();

describe("project files", function () {
    this.timeout(60_000);
    const project = read("Pulumi.yaml") as {
        name: string;
        runtime: { name: string; options: Record<string, unknown> };
        main: string;
        backend: { url: string };
        config: Record<string, Record<string, unknown>>;
    };

    it("declares a TypeScript Node.js program with a local file backend", function () {
        assert.strictEqual(project.name, "flagsmith-influxdb");
        assert.strictEqual(project.runtime.name, "nodejs");
        assert.strictEqual(project.runtime.options.typescript, true);
        assert.strictEqual(project.main, "index.ts");
        assert.match(project.backend.url, /^file:\/\//);
    });

    it("declares config the way Pulumi's project schema allows, with the program's defaults", async function () {
        for (const [key, decl] of Object.entries(project.config)) {
            // Pulumi accepts only these fields and simple types; a declared key without a default is required.
            assert.deepStrictEqual(
                Object.keys(decl).filter((k) => !["type", "description", "default", "secret", "items"].includes(k)),
                [],
                key,
            );
            assert.ok(["string", "integer", "boolean", "array"].includes(String(decl.type)), `${key}: type`);
            assert.ok("default" in decl, `${key}: a default, or every stack must set it`);
            assert.strictEqual(typeof decl.description, "string", `${key}: description`);
        }
        const defaults = Object.fromEntries(Object.entries(project.config).map(([k, d]) => [k, d.default]));
        assert.deepStrictEqual(defaults, { platform: "docker", bucket: "default", adopt: false });
        // With no stack config at all, the program uses the same defaults.
        const r = await runProgram(program, { config: {}, mocks: programMocks() });
        assert.ok(r.byType("flagsmith:influxdb:DockerInfluxDB").length === 1);
        assert.deepStrictEqual(
            r.byType("pulumi-nodejs:dynamic/influxdb:Bucket").map((b) => b.inputs.name)[0],
            "default",
        );
    });

    const stacks: [string, Record<string, string>][] = [
        ["Pulumi.dev.yaml", {}],
        ["Pulumi.k8s.example.yaml", {}],
        ["Pulumi.external.example.yaml", { influxdbToken: "example-operator-token" }],
    ];
    for (const [file, secretConfig] of stacks) {
        it(`${file} passes the program's validation in a preview`, async function () {
            const config = Object.fromEntries(
                Object.entries((read(file).config ?? {}) as Record<string, unknown>).map(([k, v]) => [
                    k.replace(/^flagsmith-influxdb:/, ""),
                    v,
                ]),
            );
            const r = await runProgram(program, { config, secretConfig, preview: true, mocks: programMocks() });
            assert.ok(r.byType("pulumi-nodejs:dynamic/influxdb:Bucket").length === 3, file);
        });
    }
});
