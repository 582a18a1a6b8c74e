// The real Pulumi engine on this program: the CLI built by `npm run e2e:tools`, driven through the Automation API.
//
// Which path: the Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not
// served by the Go module proxy, so `pulumi up` cannot start `index.ts` by itself here. The Automation API runs the
// program inline instead: the CLI (`pulumi up --client=<address>`) calls back into a language server inside this
// process, which runs `index.ts`'s exported function. Everything else is the real engine: the CLI, its file backend,
// the secrets manager, the step generator, and the dynamic-provider plugin (`pulumi-resource-pulumi-nodejs` from
// node_modules/@pulumi/pulumi, started by the engine in the project folder on Node 22).
//
// Each suite works on a copy of the project (the files `pulumi up` reads, node_modules linked), so the stack files the
// CLI writes (`Pulumi.<stack>.yaml` with its encryption salt) never touch the checkout, under a fresh HOME whose file
// backend folder is created exactly as the README's quick start creates it.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ConfigMap,
    DestroyResult,
    EngineEvent,
    LocalWorkspace,
    OpType,
    PreviewResult,
    PulumiCommand,
    RefreshResult,
    Stack,
    UpResult,
} from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, RealTools } from "./tools";

/** The files and folders of the project that `pulumi up` and the dynamic-provider plugin read. */
const PROJECT_FILES = [
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "index.ts",
    "package.json",
    "tsconfig.json",
    "components",
    "dynamic-providers",
];

export const PROJECT_NAME = "flagsmith-influxdb";

/** What one command did, as the CLI reported it. */
export interface CommandRecord {
    /** Everything the CLI printed. */
    readonly stdout: string;
    /** Each resource step the engine announced: operation and URN (`same` steps included). */
    readonly steps: readonly { op: OpType; urn: string; type: string }[];
    /** Diagnostics (warnings and errors) the engine reported, with their severity. */
    readonly diagnostics: readonly { severity: string; message: string }[];
}

export interface E2EProject {
    /** The project copy: the Automation API's workDir, the plugin's working directory. */
    readonly dir: string;
    /** The fresh HOME the CLI runs under (its file backend is `<home>/.pulumi-flagsmith-influxdb`). */
    readonly home: string;
    /** The environment every CLI call gets. */
    readonly env: Record<string, string>;
    readonly command: PulumiCommand;
    /** Runs the real CLI in the project copy; resolves with its exit code and output, never throws on a failure. */
    cli(args: string[], opts?: { shell?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
    /** Selects (creating it if needed) a stack of this project whose program is the copy's `index.ts`. */
    stack(name: string, config?: ConfigMap): Promise<E2EStack>;
    /** Removes the copy and the HOME. */
    dispose(): void;
}

/** Copies the project, makes a fresh HOME and the environment the CLI runs in. */
export async function makeProject(tools: RealTools): Promise<E2EProject> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-pulumi-"));
    const dir = path.join(base, PROJECT_NAME);
    const home = path.join(base, "home");
    fs.mkdirSync(home);
    fs.mkdirSync(dir);
    for (const f of PROJECT_FILES) fs.cpSync(path.join(PROJECT_ROOT, f), path.join(dir, f), { recursive: true });
    // The CLI resolves `file://~` from the account's passwd entry, not from $HOME (pulumi/pulumi v3.276.0,
    // pkg/backend/diy/backend.go: `user.Current().HomeDir`), so a fresh HOME alone would still reach the real user's
    // backend folder. The copy's backend is the same folder under the fresh HOME, where the README's `mkdir -p
    // ~/.pulumi-flagsmith-influxdb` (a shell `~`, i.e. $HOME) creates it.
    const projectFile = path.join(dir, "Pulumi.yaml");
    const original = fs.readFileSync(projectFile, "utf8");
    const isolated = original.replace("url: file://~/", `url: file://${home}/`);
    if (isolated === original) throw new Error("Pulumi.yaml: no backend url file://~/... to isolate");
    fs.writeFileSync(projectFile, isolated);
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const nodeBin = path.dirname(fs.realpathSync(path.join(PROJECT_ROOT, "node_modules", ".bin", "node")));
    const pluginDir = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi");
    const env: Record<string, string> = {
        HOME: home,
        // Node 22 first (the plugin's script runs `node`), then the dynamic-provider plugin, then the CLI.
        PATH: [nodeBin, pluginDir, path.join(tools.pulumiRoot, "bin"), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        // The Automation API would otherwise read the user's own settings from the environment.
        PULUMI_BACKEND_URL: "",
        PULUMI_ACCESS_TOKEN: "",
    };
    const command = await PulumiCommand.get({ root: tools.pulumiRoot });
    const cli: E2EProject["cli"] = (args, opts) =>
        new Promise((resolve) => {
            const child = opts?.shell
                ? spawn("sh", ["-c", opts.shell], { cwd: dir, env: { ...process.env, ...env } })
                : spawn(tools.pulumi, args, { cwd: dir, env: { ...process.env, ...env } });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });
    const project: E2EProject = {
        dir,
        home,
        env,
        command,
        cli,
        stack: async (name, config) => {
            const stack = await LocalWorkspace.createOrSelectStack(
                { stackName: name, projectName: PROJECT_NAME, program: programOf(dir) },
                { workDir: dir, envVars: env, pulumiCommand: command },
            );
            if (config) await stack.setAllConfig(config, true);
            return new E2EStack(stack);
        },
        dispose: () => fs.rmSync(base, { recursive: true, force: true }),
    };
    return project;
}

/** The copy's `index.ts` as an inline program (its default export is the Pulumi program function). */
function programOf(dir: string): () => Promise<Record<string, unknown>> {
    return async () => {
        const main = require(path.join(dir, "index.ts")) as () => Promise<Record<string, unknown>>;
        return await main();
    };
}

function recorder(): { opts: { onOutput(s: string): void; onEvent(e: EngineEvent): void }; record(): CommandRecord } {
    let stdout = "";
    const steps: { op: OpType; urn: string; type: string }[] = [];
    const diagnostics: { severity: string; message: string }[] = [];
    return {
        opts: {
            onOutput: (s) => (stdout += s),
            onEvent: (e) => {
                const m = e.resourcePreEvent?.metadata;
                if (m) steps.push({ op: m.op, urn: m.urn, type: m.type });
                if (e.diagnosticEvent) {
                    diagnostics.push({ severity: e.diagnosticEvent.severity, message: e.diagnosticEvent.message });
                }
            },
        },
        record: () => ({ stdout, steps, diagnostics }),
    };
}

/** A stack of the copied project; every command records what the CLI printed and the engine's steps. */
export class E2EStack {
    constructor(readonly stack: Stack) {}

    get name(): string {
        return this.stack.name;
    }

    async preview(opts: { expectNoChanges?: boolean; refresh?: boolean } = {}): Promise<PreviewResult & CommandRecord> {
        const r = recorder();
        const result = await this.stack.preview({ ...opts, ...r.opts, color: "never", diff: true });
        return { ...result, ...r.record() };
    }

    async up(opts: { expectNoChanges?: boolean } = {}): Promise<UpResult & CommandRecord> {
        const r = recorder();
        const result = await this.stack.up({ ...opts, ...r.opts, color: "never" });
        return { ...result, ...r.record() };
    }

    async refresh(
        opts: { expectNoChanges?: boolean; runProgram?: boolean } = {},
    ): Promise<RefreshResult & CommandRecord> {
        const r = recorder();
        const result = await this.stack.refresh({ ...opts, ...r.opts, color: "never" });
        return { ...result, ...r.record() };
    }

    async destroy(): Promise<DestroyResult & CommandRecord> {
        const r = recorder();
        const result = await this.stack.destroy({ ...r.opts, color: "never" });
        return { ...result, ...r.record() };
    }

    /** The stack outputs, secrets in plain text (the suite checks them against the server). */
    async outputs(): Promise<Record<string, { value: unknown; secret: boolean }>> {
        return await this.stack.outputs();
    }

    /** Resources in the stack's state (the CLI's export), by type. */
    async stateTypes(): Promise<string[]> {
        const state = await this.stack.exportStack();
        const resources = (state.deployment as { resources?: { type: string }[] }).resources ?? [];
        return resources.map((r) => r.type);
    }
}

/** Runs `fn` and returns the error it throws (failing when it does not throw). */
export async function failureOf(fn: () => Promise<unknown>): Promise<Error> {
    try {
        await fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected the command to fail, and it succeeded");
}
