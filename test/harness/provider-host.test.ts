// Proves the provider-host harness (test/harness/provider-host.ts) on the tiny provider: a serialized dynamic provider driven
// through the real dynamic-provider plugin, with the engine's secret, unknown and sequencing semantics.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    captureDynamicResources,
    CheckFailedError,
    Engine,
    ProviderError,
    ProviderHost,
    Props,
    SECRET_SIG,
    SECRET_SIG_KEY,
    UNKNOWN,
    unwrapSecrets,
} from "./provider-host";
import { sha256, Tiny, TinyOutputs } from "./tiny-provider";

const TYPE = "pulumi-nodejs:dynamic/test:Tiny";
const TOKEN = "tiny-token-5f0c2a9e-do-not-leak";
const urnOf = (name: string): string => `urn:pulumi:stack::project::${TYPE}::${name}`;
const secret = (value: unknown): Props => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

describe("provider host harness on the tiny provider", function () {
    let dir: string;
    let stateFile: string;
    let host: ProviderHost;
    /** Serialized inputs of Tiny "a", as the engine receives them (secret wrapper and __provider included). */
    let captured: Props;
    const inputs = (overrides: Props = {}): Props => ({ ...captured, ...overrides });
    const records = (): Record<string, TinyOutputs> =>
        JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, TinyOutputs>;

    before(async function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-provider-"));
        stateFile = path.join(dir, "state.json");
        const resources = await captureDynamicResources(() => {
            new Tiny("a", { stateFile, name: "a", size: 1, token: TOKEN });
        });
        assert.strictEqual(resources.length, 1);
        captured = resources[0].inputs;
        host = await ProviderHost.start();
        await host.configure();
    });

    after(async function () {
        await host?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("captureDynamicResources", function () {
        it("returns the serialized provider and keeps secret wrappers", async function () {
            assert.strictEqual(typeof captured.__provider, "string");
            assert.match(captured.__provider as string, /exports\.handler/);
            assert.deepStrictEqual(captured.token, secret(TOKEN));
            assert.deepStrictEqual(unwrapSecrets(captured).secretPaths, ["token"]);
            // The `tokenHash: undefined` placeholder is not serialized at all.
            assert.ok(!("tokenHash" in captured));
        });

        it("can run repeatedly, waits for resources registered in applies, and shows unknowns in previews", async function () {
            const program = (): void => {
                const a = new Tiny("a", { stateFile, name: "a", size: 1, token: "t" });
                new Tiny("b", { stateFile, name: a.tokenHash, size: 2, token: "t" });
                a.size.apply((size) => new Tiny("c", { stateFile, name: `c${size}`, size, token: "t" }));
            };
            const preview = await captureDynamicResources(program, { preview: true });
            assert.deepStrictEqual(
                preview.map((r) => [r.type, r.name, r.inputs.name]),
                [
                    [TYPE, "a", "a"],
                    [TYPE, "b", UNKNOWN],
                    [TYPE, "c", "c1"],
                ],
            );
            // Outside a preview the mocks leave the output undefined, so the key is simply absent.
            const up = await captureDynamicResources(program);
            assert.deepStrictEqual(
                up.map((r) => r.inputs.name),
                ["a", undefined, "c1"],
            );
        });
    });

    describe("ProviderHost", function () {
        it("Configure: the dynamic provider does not accept secrets (so the host strips them)", async function () {
            assert.deepStrictEqual(await host.configure(), { acceptSecrets: false, supportsPreview: false });
        });

        it("Check passes valid inputs through, secrets stripped", async function () {
            const res = await host.check(urnOf("a"), {}, inputs());
            assert.deepStrictEqual(res.failures, []);
            assert.strictEqual(res.inputs.token, TOKEN);
            assert.strictEqual(res.inputs.__provider, captured.__provider);
        });

        it("Check reports a failure naming the field", async function () {
            const res = await host.check(urnOf("a"), {}, inputs({ size: -1 }));
            assert.deepStrictEqual(res.failures, [{ property: "size", reason: "size must be a non-negative number" }]);
        });

        it("Check skips unknowns and Diff counts them as a change", async function () {
            const checked = await host.check(urnOf("u"), {}, inputs({ size: UNKNOWN }));
            assert.deepStrictEqual(checked.failures, []);
            const created = await host.create(urnOf("u"), (await host.check(urnOf("u"), {}, inputs())).inputs);
            const diff = await host.diff(created.id, urnOf("u"), created.properties, checked.inputs);
            assert.deepStrictEqual(diff, { changes: "DIFF_SOME", replaces: [], deleteBeforeReplace: false });
            await host.delete(created.id, urnOf("u"), created.properties);
        });

        it("Delete is idempotent for the tiny provider (delete twice)", async function () {
            const created = await host.create(urnOf("d"), unwrapSecrets(inputs({ name: "d" })).value);
            assert.ok(records()[created.id]);
            await host.delete(created.id, urnOf("d"), created.properties);
            await host.delete(created.id, urnOf("d"), created.properties);
            assert.strictEqual(records()[created.id], undefined);
        });

        it("an error thrown by the provider surfaces with its message and gRPC status", async function () {
            await assert.rejects(host.create(urnOf("e"), inputs({ failWith: "tiny: forced failure" })), (err) => {
                assert.ok(err instanceof ProviderError);
                assert.strictEqual(err.message, "tiny: forced failure");
                assert.strictEqual(err.method, "Create");
                assert.strictEqual(err.code, 2); // UNKNOWN
                return true;
            });
        });

        it("the plugin logs Check/Diff/Read/Delete errors to stderr, but not Create/Update errors", async function () {
            const created = await host.create(urnOf("l"), inputs({ name: "l" }));
            const before = host.output().length;
            await assert.rejects(host.create(urnOf("l"), inputs({ failWith: "create-marker" })), /create-marker/);
            // A directory as the state file makes the provider's readFileSync fail with EISDIR.
            await assert.rejects(
                host.read(created.id, urnOf("l"), { ...created.properties, stateFile: dir }),
                /EISDIR/,
            );
            const logged = host.output().slice(before);
            assert.doesNotMatch(logged, /create-marker/);
            assert.match(logged, /EISDIR/);
            await host.delete(created.id, urnOf("l"), created.properties);
        });

        it('an undefined field in outputs fails with "Unexpected struct type": providers must drop undefined', async function () {
            // google-protobuf's Struct.fromJavaScript cannot encode undefined; the plugin's error is all you get.
            await assert.rejects(host.create(urnOf("x"), inputs({ name: "x", leakUndefined: true })), (err) => {
                assert.ok(err instanceof ProviderError);
                assert.match(err.message, /^Unexpected struct type/);
                return true;
            });
            // The resource was created anyway, and the engine never learnt its ID: a leak to clean up by hand.
            assert.ok(Object.values(records()).some((r) => r.name === "x"));
        });
    });

    describe("Engine", function () {
        let engine: Engine;
        beforeEach(function () {
            engine = new Engine(host);
        });
        const methods = (from = 0): string[] => engine.log.slice(from).map((c) => c.method);

        it("up creates (Configure, Check, Create) and a second up with the same inputs is a no-op", async function () {
            const first = await engine.up(urnOf("a"), inputs());
            assert.strictEqual(first.op, "create");
            assert.deepStrictEqual(methods(), ["Configure", "Check", "Create"]);
            assert.strictEqual(records()[first.state.id].size, 1);
            const second = await engine.up(urnOf("a"), inputs());
            assert.strictEqual(second.op, "same");
            assert.deepStrictEqual(methods(3), ["Check", "Diff"]);
            await engine.destroy(urnOf("a"));
        });

        it("up rejects check failures before any Create", async function () {
            await assert.rejects(engine.up(urnOf("bad"), inputs({ size: -1 })), (err) => {
                assert.ok(err instanceof CheckFailedError);
                assert.deepStrictEqual(
                    err.failures.map((f) => f.property),
                    ["size"],
                );
                return true;
            });
            assert.ok(!methods().includes("Create"));
        });

        it("updates in place", async function () {
            const created = await engine.up(urnOf("u"), inputs({ name: "u" }));
            const updated = await engine.up(urnOf("u"), inputs({ name: "u", size: 5 }));
            assert.strictEqual(updated.op, "update");
            assert.strictEqual(updated.state.id, created.state.id);
            assert.strictEqual(updated.state.outputs.size, 5);
            assert.strictEqual(records()[created.state.id].size, 5);
            assert.deepStrictEqual(methods().slice(-3), ["Check", "Diff", "Update"]);
            await engine.destroy(urnOf("u"));
        });

        it("replaces (create before delete) when a replace-only field changes", async function () {
            const old = await engine.up(urnOf("r"), inputs({ name: "r1" }));
            const replaced = await engine.up(urnOf("r"), inputs({ name: "r2" }));
            assert.strictEqual(replaced.op, "replace");
            assert.notStrictEqual(replaced.state.id, old.state.id);
            assert.deepStrictEqual(methods().slice(-4), ["Check", "Diff", "Create", "Delete"]);
            assert.strictEqual(records()[old.state.id], undefined);
            assert.strictEqual(records()[replaced.state.id].name, "r2");
            await engine.destroy(urnOf("r"));
        });

        it("replaces delete-before-create when the provider asks for it", async function () {
            await engine.up(urnOf("dbr"), inputs({ name: "d1", deleteBeforeReplace: true }));
            const replaced = await engine.up(urnOf("dbr"), inputs({ name: "d2", deleteBeforeReplace: true }));
            assert.strictEqual(replaced.op, "replace");
            assert.deepStrictEqual(methods().slice(-4), ["Check", "Diff", "Delete", "Create"]);
            await engine.destroy(urnOf("dbr"));
        });

        it("preview with unknowns plans create/update/replace and never calls Create/Update/Delete", async function () {
            const urn = urnOf("p");
            assert.strictEqual(await engine.preview(urn, inputs({ name: "p", size: UNKNOWN })), "create");
            await engine.up(urn, inputs({ name: "p" }));
            const start = engine.log.length;
            assert.strictEqual(await engine.preview(urn, inputs({ name: "p" })), "same");
            assert.strictEqual(await engine.preview(urn, inputs({ name: "p", size: UNKNOWN })), "update");
            assert.strictEqual(await engine.preview(urn, inputs({ name: "p", token: secret(UNKNOWN) })), "update");
            assert.strictEqual(await engine.preview(urn, inputs({ name: UNKNOWN })), "replace");
            await assert.rejects(engine.preview(urn, inputs({ name: "p", size: -1 })), CheckFailedError);
            assert.deepStrictEqual(
                methods(start).filter((m) => m !== "Check" && m !== "Diff"),
                [],
            );
            // up itself refuses unknowns, as the engine does outside a preview.
            await assert.rejects(engine.up(urn, inputs({ name: "p", size: UNKNOWN })), /only allowed in a preview/);
            await engine.destroy(urn);
        });

        it("refresh reads the live state, and drops the resource once it is gone", async function () {
            const urn = urnOf("rf");
            const { state } = await engine.up(urn, inputs({ name: "rf" }));
            const live = records();
            live[state.id].size = 42;
            fs.writeFileSync(stateFile, JSON.stringify(live));
            const refreshed = await engine.refresh(urn);
            assert.strictEqual(refreshed?.outputs.size, 42);
            assert.deepStrictEqual(refreshed?.inputs, state.inputs); // Read returned no inputs: old ones kept
            // Gone behind Pulumi's back: Read answers with an empty ID.
            await host.delete(state.id, urn, state.outputs);
            assert.strictEqual(await engine.refresh(urn), undefined);
            assert.strictEqual(engine.state(urn), undefined);
            assert.deepStrictEqual(methods().slice(-2), ["Read", "Read"]);
        });

        it("destroy deletes once and is a no-op the second time", async function () {
            const urn = urnOf("del");
            const { state } = await engine.up(urn, inputs({ name: "del" }));
            await engine.destroy(urn);
            await engine.destroy(urn);
            assert.strictEqual(records()[state.id], undefined);
            assert.strictEqual(methods().filter((m) => m === "Delete").length, 1);
        });

        it("a provider error during up surfaces with its message and leaves no state", async function () {
            await assert.rejects(engine.up(urnOf("f"), inputs({ failWith: "tiny: cannot create" })), {
                name: "ProviderError",
                message: "tiny: cannot create",
            });
            assert.strictEqual(engine.state(urnOf("f")), undefined);
        });

        it("secrets: stripped before the provider sees them, never in outputs, IDs or plugin logs", async function () {
            const urn = urnOf("s");
            const { state } = await engine.up(urn, inputs({ name: "s" }), { additionalSecretOutputs: ["tokenHash"] });
            // The provider hashed the plain token, not a secret wrapper.
            assert.strictEqual(state.outputs.tokenHash, sha256(TOKEN));
            assert.notStrictEqual(state.outputs.tokenHash, sha256(JSON.stringify(secret(TOKEN))));
            assert.deepStrictEqual(state.secretInputs, ["token"]);
            assert.deepStrictEqual(state.secretOutputs, ["tokenHash"]);
            await engine.up(urn, inputs({ name: "s", size: 3 }));
            await engine.refresh(urn);
            await engine.destroy(urn);
            const everything = JSON.stringify([state.id, state.outputs, engine.state(urn)]) + host.output();
            assert.ok(!everything.includes(TOKEN), "the token leaked");
            assert.ok(!fs.readFileSync(stateFile, "utf8").includes(TOKEN), "the token leaked into the state file");
        });

        it("an output is secret when its input was (the engine's annotateSecrets)", async function () {
            const urn = urnOf("sn");
            const { state } = await engine.up(urn, inputs({ name: secret("sn") }));
            assert.strictEqual(state.outputs.name, "sn");
            assert.deepStrictEqual(state.secretInputs.sort(), ["name", "token"]);
            assert.deepStrictEqual(state.secretOutputs, ["name"]);
            await engine.destroy(urn);
        });

        it("pulumi.secret inputs captured under mocks flow straight into the engine", async function () {
            const [res] = await captureDynamicResources(() => {
                new Tiny("m", { stateFile, name: pulumi.secret("m"), size: 0, token: TOKEN });
            });
            const { state } = await engine.up(urnOf("m"), res.inputs);
            assert.deepStrictEqual(state.secretOutputs, ["name"]);
            await engine.destroy(urnOf("m"));
        });
    });
});
