// The program's user-facing errors reach the user once and without a stack trace: bad settings, failed task checks
// and bad component arguments are pulumi.RunErrors (the runtime prints their message alone), a problem with one
// resource is a pulumi.ResourceError against it with hideStack. Each message names the setting and the fix.
// test/acceptance/bad-input.test.ts asserts the same for every row of its table of bad settings and component
// arguments.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { assertTasksValid, planTasks } from "../../components/analytics";
import { resourceError, settingError } from "../../components/errors";
import { InfluxSettingsError, parseInfluxSettings } from "../../components/settings/influxdb";
import { readStackSettings, StackConfigError } from "../../components/settings/stack";
import { runProgram } from "../harness/mocks";
import { programMocks } from "../harness/program-mocks";
import { howReported } from "../harness/user-errors";

const program = (): Promise<unknown> => (require("../../index") as () => Promise<unknown>)();

/** Runs `fn`, returning what it threw or rejected with (fails when it did not). */
async function caught(fn: () => unknown): Promise<unknown> {
    try {
        await fn();
    } catch (e) {
        return e;
    }
    assert.fail("no error");
}

function assertShownAlone(error: unknown, kind: "RunError" | "ResourceError", names: RegExp): void {
    const shown = howReported(error);
    assert.deepStrictEqual([shown.kind, shown.withoutStack], [kind, true], `${String(error)}`);
    assert.match(shown.message, names);
}

describe("user-facing errors", function () {
    describe("how Pulumi shows an error (cmd/run/run.js)", function () {
        it("prints a RunError and a ResourceError with hideStack without their stack, any other Error with it", function () {
            const resource = { urn: pulumi.output("urn:pulumi:test::p::test:x:Thing::thing") } as pulumi.Resource;
            assert.deepStrictEqual(
                [
                    new Error("a"),
                    new pulumi.RunError("b"),
                    new pulumi.ResourceError("c", resource),
                    new pulumi.ResourceError("d", resource, true),
                ].map(howReported),
                [
                    { kind: "Error", withoutStack: false, message: "a" },
                    { kind: "RunError", withoutStack: true, message: "b" },
                    { kind: "ResourceError", withoutStack: false, message: "c" },
                    { kind: "ResourceError", withoutStack: true, message: "d" },
                ],
            );
            assert.deepStrictEqual(
                [howReported(settingError("e")), howReported(resourceError("f", resource))],
                [
                    { kind: "RunError", withoutStack: true, message: "e" },
                    { kind: "ResourceError", withoutStack: true, message: "f" },
                ],
            );
            assert.strictEqual(resourceError("f", resource).resource, resource);
        });
    });

    describe("bad settings", function () {
        it("the whole program fails with one RunError naming the setting and the fix", async function () {
            const error = await caught(() =>
                runProgram(program, {
                    config: { platform: "docker", retention: { raw: "5m" } },
                    mocks: programMocks(),
                }),
            );
            assertShownAlone(error, "RunError", /retention\.raw: retention "5m" is below InfluxDB's minimum of 1h/);
            assert.match((error as Error).message, /use 1h or more, or 0s/);
        });

        it("readStackSettings throws a StackConfigError, a RunError listing every problem", async function () {
            const error = await caught(() =>
                runProgram(() => readStackSettings(), {
                    config: { platform: "swarm", backfill: { enabled: true, range: 5 } },
                }),
            );
            assert.ok(error instanceof StackConfigError, String(error));
            assertShownAlone(error, "RunError", /platform: unknown platform "swarm"/);
            assert.match(error.message, /backfill\.range: must be a duration string/);
        });

        it("parseInfluxSettings throws an InfluxSettingsError, a RunError", async function () {
            const error = await caught(() => parseInfluxSettings({ platform: "docker", port: 0 }));
            assert.ok(error instanceof InfluxSettingsError, String(error));
            assertShownAlone(error, "RunError", /influxdb\.port: port must be an integer between 1 and 65535/);
        });

        it("planTasks refuses an override of an unknown task and two tasks of one name with RunErrors", async function () {
            const unknown = await caught(() =>
                planTasks("default", { overrides: { "Downsample nothing": { every: "1h" } } }),
            );
            assertShownAlone(unknown, "RunError", /tasks\.overrides names unknown task\(s\) "Downsample nothing"/);
            const flux = 'option task = {name: "Downsample API 1h", every: 1h}\nfrom(bucket: "default")\n';
            const duplicate = await caught(() =>
                planTasks("default", { extra: [{ name: "Downsample API 1h", flux }] }),
            );
            assertShownAlone(duplicate, "RunError", /tasks: two tasks are named "Downsample API 1h"/);
        });
    });

    describe("failed Flux checks", function () {
        it("assertTasksValid rejects with one RunError naming the task and the problem", async function () {
            const tasks = planTasks("default", {
                extra: [
                    {
                        name: "Broken",
                        flux: 'option task = {name: "Broken", every: 1h}\nfrom(bucket: "default") |> rangee(start: -1h)\n',
                    },
                ],
            });
            const error = await caught(() => assertTasksValid(tasks, ["default"]));
            assertShownAlone(error, "RunError", /invalid downsampling task\(s\):\n {2}- downsampling task "Broken"/);
            assert.match((error as Error).message, /rangee/);
        });
    });
});
