// The mock harness (test/harness/mocks.ts): what it records, how config/preview/mocks are passed, that it waits for
// the whole program, survives repeated and concurrent runs, restores other tests' mocks and config, and its queries.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MockArgs, resolveOutput, resolveOutputs, runProgram, UNKNOWN } from "./mocks";

const PET = "random:index/randomPet:RandomPet";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const PROBE = "pulumi-nodejs:dynamic/influxdb:Probe";

/** A dynamic resource like the project's providers (type `pulumi-nodejs:dynamic/influxdb:Probe`). */
class Probe extends pulumi.dynamic.Resource {
    public readonly probeId!: pulumi.Output<string>;
    constructor(name: string, args: { target: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(
            {
                async create() {
                    return { id: "real", outs: { probeId: "real" } };
                },
            },
            name,
            { ...args, probeId: undefined },
            opts,
            "influxdb",
            "Probe",
        );
    }
}

/** A custom resource of an arbitrary type, with arbitrary inputs. */
class Thing extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super("test:index:Thing", name, props, opts);
    }
}

class Box extends pulumi.ComponentResource {
    public readonly secretOut: pulumi.Output<string>;
    public readonly plainOut: pulumi.Output<string>;
    public readonly pet: random.RandomPet;
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:index:Box", name, {}, opts);
        const pw = new random.RandomPassword(`${name}-pw`, { length: 16 }, { parent: this });
        this.pet = new random.RandomPet(`${name}-pet`, { prefix: pw.result }, { parent: this });
        this.secretOut = pw.result;
        this.plainOut = this.pet.id;
        this.registerOutputs({ secretOut: this.secretOut, plainOut: this.plainOut });
    }
}

const passwordMock = { [PASSWORD]: (a: MockArgs) => ({ result: `generated-${a.name}` }) };

describe("mock harness", () => {
    describe("recording", () => {
        it("records type, name, URN, parent, inputs and secret input paths", async () => {
            const run = await runProgram(() => new Box("b"), { mocks: passwordMock });
            const box = run.one("test:index:Box", "b");
            assert.strictEqual(box.urn, "urn:pulumi:test::flagsmith-influxdb::test:index:Box::b");
            assert.strictEqual(box.parent, run.stackUrn, "top-level resources are children of the stack");
            assert.strictEqual(box.custom, false);
            const pet = run.one(PET);
            assert.strictEqual(
                pet.urn,
                "urn:pulumi:test::flagsmith-influxdb::test:index:Box$random:index/randomPet:RandomPet::b-pet",
            );
            assert.strictEqual(pet.parent, box.urn);
            assert.strictEqual(pet.inputs.prefix, "generated-b-pw", "inputs are plain");
            assert.deepStrictEqual(pet.secretInputs, ["prefix"], "a secret flowing into an input is recorded");
            assert.strictEqual(pet.id, "b-pet-id");
            assert.ok(!run.resources.some((r) => r.type === "pulumi:pulumi:Stack"), "the root stack is not listed");
        });

        it("records nested secret paths and resource references", async () => {
            const run = await runProgram(
                () => {
                    const pw = new random.RandomPassword("pw", { length: 8 });
                    new Thing("thing", {
                        keepers: { a: "plain", b: pulumi.secret("hidden"), list: ["x", pw.result] },
                        ref: pw,
                    });
                },
                { mocks: passwordMock },
            );
            const thing = run.one("test:index:Thing");
            const pw = run.one(PASSWORD);
            assert.deepStrictEqual(thing.inputs.keepers, { a: "plain", b: "hidden", list: ["x", "generated-pw"] });
            assert.deepStrictEqual(thing.secretInputs.sort(), ["keepers.b", "keepers.list[1]"]);
            assert.deepStrictEqual(thing.inputs.ref, { urn: pw.urn, id: "pw-id" }, "resource references");
            assert.deepStrictEqual(thing.propertyDependencies.ref, [pw.urn]);
        });

        it("applies additionalSecretOutputs to mocked outputs, as the engine does", async () => {
            const run = await runProgram(() => new random.RandomPassword("pw", { length: 8 }), { mocks: passwordMock });
            const pw = run.one(PASSWORD);
            assert.deepStrictEqual(pw.options.additionalSecretOutputs, ["bcryptHash", "result"]);
            assert.deepStrictEqual(pw.secretOutputs, ["result"]);
            assert.strictEqual(pw.outputs.result, "generated-pw");
            const resolved = await resolveOutput(run.result.result);
            assert.deepStrictEqual(resolved, { value: "generated-pw", known: true, secret: true });
        });

        it("records component outputs passed to registerOutputs, with their secret-ness", async () => {
            const run = await runProgram(() => new Box("b"), { mocks: passwordMock });
            const box = run.one("test:index:Box");
            assert.deepStrictEqual(box.outputs, { secretOut: "generated-b-pw", plainOut: "b-pet-id" });
            assert.deepStrictEqual(box.secretOutputs, ["secretOut"]);
        });

        it("records resource options", async () => {
            const run = await runProgram(() => {
                const provider = new random.Provider("prov");
                const first = new random.RandomPet("first", {}, { provider });
                new random.RandomPet(
                    "second",
                    { length: 3 },
                    {
                        protect: true,
                        deletedWith: first,
                        retainOnDelete: true,
                        additionalSecretOutputs: ["id"],
                        ignoreChanges: ["length"],
                        replaceOnChanges: ["prefix"],
                        deleteBeforeReplace: true,
                        customTimeouts: { create: "2m" },
                        provider,
                    },
                );
            });
            const prov = run.one("pulumi:providers:random", "prov");
            const first = run.one(PET, "first");
            const second = run.one(PET, "second");
            assert.strictEqual(first.options.provider, prov.urn);
            assert.strictEqual(first.options.protect, undefined, "unset options stay undefined");
            assert.strictEqual(first.options.retainOnDelete, undefined);
            assert.strictEqual(first.options.deletedWith, undefined);
            assert.deepStrictEqual(second.options, {
                protect: true,
                deletedWith: first.urn,
                retainOnDelete: true,
                additionalSecretOutputs: ["id"],
                ignoreChanges: ["length"],
                replaceOnChanges: ["prefix"],
                provider: prov.urn,
                providers: {},
                deleteBeforeReplace: true,
                customTimeouts: { create: "2m", update: undefined, delete: undefined },
            });
        });

        it("separates explicit dependsOn from implicit (input) dependencies", async () => {
            const run = await runProgram(
                () => {
                    const a = new random.RandomPassword("a", { length: 8 });
                    const box = new Box("box");
                    new random.RandomPet("pet", { prefix: a.result }, { dependsOn: [box] });
                },
                { mocks: passwordMock },
            );
            const a = run.one(PASSWORD, "a");
            const box = run.one("test:index:Box");
            const pet = run.one(PET, "pet");
            assert.deepStrictEqual(pet.dependsOn, [box.urn], "explicit dependsOn, as written (the component)");
            assert.deepStrictEqual(pet.propertyDependencies.prefix, [a.urn], "implicit dependency of the input");
            const boxChildren = run.children(box).map((r) => r.urn);
            for (const urn of [a.urn, ...boxChildren]) {
                assert.ok(pet.dependencies.includes(urn), `engine dependencies include ${urn}`);
            }
            assert.ok(!pet.dependencies.includes(box.urn), "the engine receives the component's children, not itself");
        });

        it("records resources read with Resource.get", async () => {
            const run = await runProgram(() => random.RandomPet.get("existing", "pet-123"), {
                mocks: { [PET]: (a: MockArgs) => ({ id: a.id, length: 2 }) },
            });
            const pet = run.one(PET, "existing");
            assert.strictEqual(pet.read, true);
            assert.strictEqual(pet.id, "pet-123");
            assert.strictEqual(pet.outputs.length, 2);
        });
    });

    describe("program completion", () => {
        it("waits for resources registered late, inside applies and timers", async () => {
            const run = await runProgram(
                () => {
                    const pw = new random.RandomPassword("pw", { length: 8 });
                    pw.result.apply((r) => new random.RandomPet("from-apply", { prefix: r.substring(0, 3) }));
                    setTimeout(() => new random.RandomPet("from-timer", {}), 10);
                    return new Promise((resolve) => setTimeout(resolve, 20));
                },
                { mocks: passwordMock },
            );
            assert.deepStrictEqual(
                run
                    .byType(PET)
                    .map((r) => r.name)
                    .sort(),
                ["from-apply", "from-timer"],
            );
            assert.strictEqual(run.one(PET, "from-apply").inputs.prefix, "gen");
        });

        it("rejects with the program's error", async () => {
            await assert.rejects(
                runProgram(() => {
                    throw new Error("bad setting influxdb.port");
                }),
                /bad setting influxdb\.port/,
            );
        });

        it("rejects with an error thrown inside an apply", async () => {
            await assert.rejects(
                runProgram(() => {
                    const pet = new random.RandomPet("pet", {
                        prefix: pulumi.output("x").apply(() => {
                            throw new Error("late validation failure");
                        }),
                    });
                    return pet;
                }),
                /late validation failure/,
            );
        });

        it("rejects with a mock's error and names an unmocked invoke", async () => {
            await assert.rejects(
                runProgram(() => new random.RandomPet("pet", {}), {
                    mocks: {
                        [PET]: () => {
                            throw new Error("mock exploded");
                        },
                    },
                }),
                /mock exploded/,
            );
            await assert.rejects(
                runProgram(() => pulumi.runtime.invoke("test:index:getThing", { a: 1 })),
                /unmocked invoke test:index:getThing/,
            );
        });

        it("answers mocked invokes", async () => {
            const run = await runProgram(() => pulumi.runtime.invoke("test:index:getThing", { a: 1 }), {
                calls: { "test:index:getThing": (args) => ({ doubled: (args.inputs.a as number) * 2 }) },
            });
            assert.strictEqual((await run.result).doubled, 2);
        });
    });

    describe("config, preview and mocks", () => {
        it("passes stack config, with namespaces and secrets", async () => {
            const run = await runProgram(
                () => {
                    const c = new pulumi.Config();
                    const other = new pulumi.Config("other");
                    return {
                        platform: c.get("platform"),
                        influxdb: c.getObject<{ port: number }>("influxdb"),
                        otherKey: other.get("key"),
                        token: c.requireSecret("influxdbToken"),
                        project: pulumi.getProject(),
                        stack: pulumi.getStack(),
                    };
                },
                {
                    stack: "dev",
                    config: { platform: "docker", influxdb: { port: 8087 }, "other:key": "v" },
                    secretConfig: { influxdbToken: "s3cret" },
                },
            );
            assert.strictEqual(run.result.platform, "docker");
            assert.deepStrictEqual(run.result.influxdb, { port: 8087 });
            assert.strictEqual(run.result.otherKey, "v");
            assert.strictEqual(run.result.project, "flagsmith-influxdb");
            assert.strictEqual(run.result.stack, "dev");
            assert.deepStrictEqual(await resolveOutput(run.result.token), {
                value: "s3cret",
                known: true,
                secret: true,
            });
        });

        it("makes IDs and non-input outputs unknown in a preview; function mocks decide, object mocks wait for up", async () => {
            const program = () => {
                const pw = new random.RandomPassword("pw", { length: 8 });
                const probe = new Probe("probe", { target: "t" });
                const pet = new random.RandomPet("pet", { length: 2 });
                return { pw: pw.result, probe: probe.probeId, petId: pet.id, petLength: pet.length };
            };
            const mocks = {
                [PASSWORD]: { result: "object-mock" },
                [PROBE]: (a: MockArgs) => ({ probeId: a.preview ? UNKNOWN : "probe-42" }),
            };
            const preview = await runProgram(program, { preview: true, mocks });
            assert.strictEqual(preview.preview, true);
            const p = await resolveOutputs(preview.result);
            assert.deepStrictEqual(p.pw, { value: undefined, known: false, secret: true });
            assert.deepStrictEqual(p.probe, { value: undefined, known: false, secret: false });
            assert.strictEqual(p.petId.known, false, "IDs are unknown in a preview");
            assert.deepStrictEqual(p.petLength, { value: 2, known: true, secret: false }, "inputs stay known");
            assert.strictEqual(preview.one(PET).id, undefined);

            const up = await runProgram(program, { mocks });
            const u = await resolveOutputs(up.result);
            assert.deepStrictEqual(u.pw, { value: "object-mock", known: true, secret: true });
            assert.deepStrictEqual(u.probe, { value: "probe-42", known: true, secret: false });
            assert.strictEqual(up.one(PROBE).type, PROBE, "dynamic resources get the pulumi-nodejs:dynamic type");
        });

        it("gives mock functions the plain and raw inputs, the stack and custom-ness", async () => {
            const seen: MockArgs[] = [];
            await runProgram(() => new random.RandomPet("pet", { prefix: pulumi.secret("p") }), {
                stack: "qa",
                defaultMock: (a) => {
                    seen.push(a);
                    return {};
                },
            });
            const pet = seen.find((a) => a.type === PET);
            assert.ok(pet);
            assert.strictEqual(pet.inputs.prefix, "p");
            assert.notStrictEqual(pet.rawInputs.prefix, "p", "raw inputs keep the secret wrapper");
            assert.strictEqual(pet.stack, "qa");
            assert.strictEqual(pet.custom, true);
        });
    });

    describe("process-global state", () => {
        it("runs repeatedly with different stacks and config without leaking", async () => {
            const program = () => ({ port: new pulumi.Config().get("port"), pet: new random.RandomPet("pet", {}) });
            const a = await runProgram(program, { stack: "a", config: { port: "1" } });
            const b = await runProgram(program, { stack: "b" });
            assert.strictEqual(a.result.port, "1");
            assert.strictEqual(b.result.port, undefined, "config of the previous run does not leak");
            assert.ok(a.one(PET).urn.startsWith("urn:pulumi:a::"));
            assert.ok(b.one(PET).urn.startsWith("urn:pulumi:b::"));
            assert.strictEqual(b.resources.length, 1, "each run records only its own resources");
        });

        it("serialises concurrent runs", async () => {
            const program = (n: string) => () => {
                new random.RandomPet(`pet-${n}`, {});
                return new Promise<string>((resolve) => setTimeout(() => resolve(pulumi.getStack()), 5));
            };
            const [x, y] = await Promise.all([
                runProgram(program("x"), { stack: "sx" }),
                runProgram(program("y"), { stack: "sy" }),
            ]);
            assert.deepStrictEqual([x.result, y.result], ["sx", "sy"]);
            assert.deepStrictEqual(
                x.resources.map((r) => r.name),
                ["pet-x"],
            );
            assert.deepStrictEqual(
                y.resources.map((r) => r.name),
                ["pet-y"],
            );
        });

        it("restores the mocks and config another test installed", async () => {
            const foreign: string[] = [];
            await pulumi.runtime.setMocks(
                {
                    newResource: (a) => {
                        foreign.push(a.name);
                        return { id: "foreign", state: a.inputs };
                    },
                    call: (a) => a.inputs,
                },
                "other-project",
                "other-stack",
            );
            pulumi.runtime.setAllConfig({ "other-project:key": "kept" }, []);
            try {
                await runProgram(() => new random.RandomPet("mine", {}), { config: { key: "mine" } });
                assert.strictEqual(pulumi.getStack(), "other-stack");
                assert.strictEqual(pulumi.runtime.getConfig("other-project:key"), "kept");
                assert.strictEqual(pulumi.runtime.getConfig("flagsmith-influxdb:key"), undefined);
                const pet = new random.RandomPet("theirs", {});
                assert.strictEqual(await resolveOutput(pet.id).then((r) => r.value), "foreign");
                assert.deepStrictEqual(foreign, ["theirs"]);
            } finally {
                pulumi.runtime.setAllConfig({}, []);
            }
        });
    });

    describe("queries", () => {
        it("finds resources by type, name, URN and parent", async () => {
            const run = await runProgram(
                () => {
                    new Box("one");
                    new Box("two");
                },
                { mocks: passwordMock },
            );
            assert.strictEqual(run.byType("test:index:Box").length, 2);
            assert.deepStrictEqual(
                run.byName("one-pet").map((r) => r.type),
                [PET],
            );
            const one = run.one("test:index:Box", "one");
            assert.deepStrictEqual(
                run
                    .children(one)
                    .map((r) => r.name)
                    .sort(),
                ["one-pet", "one-pw"],
            );
            assert.deepStrictEqual(run.children(one.urn), run.children(one));
            assert.strictEqual(run.descendants(run.stackUrn).length, run.resources.length);
            assert.strictEqual(run.get(one.urn), one);
            assert.throws(() => run.one("test:index:Box"), /expected exactly one test:index:Box, found 2 .*one, two/);
            assert.throws(() => run.one("nope:index:Nope"), /found 0 .*none/);
            assert.throws(() => run.get("urn:missing"), /no recorded resource/);
        });

        it("resolves a component's Outputs with secret-ness", async () => {
            const run = await runProgram(() => new Box("b"), { mocks: passwordMock });
            const out = await resolveOutputs(run.result);
            assert.deepStrictEqual(out.secretOut, { value: "generated-b-pw", known: true, secret: true });
            assert.deepStrictEqual(out.plainOut, { value: "b-pet-id", known: true, secret: false });
            assert.ok(!("pet" in out), "resources are not Outputs");
            assert.ok(!("urn" in out), "a resource's own urn/id are left out");
        });

        it("finds secrets that leak in plain text, and only those", async () => {
            const run = await runProgram(
                () => {
                    const pw = new random.RandomPassword("pw", { length: 8 });
                    new random.RandomPet("safe", { prefix: pw.result });
                    new random.RandomPet("leak", {
                        keepers: { env: pulumi.interpolate`TOKEN=${pulumi.unsecret(pw.result)}` },
                    });
                },
                { mocks: passwordMock },
            );
            const leak = run.one(PET, "leak");
            assert.deepStrictEqual(run.plaintextOccurrences("generated-pw"), [
                `${leak.urn}: inputs.keepers.env`,
                `${leak.urn}: outputs.keepers.env`,
            ]);
            assert.deepStrictEqual(run.plaintextOccurrences("never-used"), []);
        });
    });
});
