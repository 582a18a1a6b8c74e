/**
 * Validation of Helm values against a chart's own `values.yaml`, so a typo in a passthrough (`persistance.size`,
 * `image.imagePullPolicy`) fails at `pulumi preview` with the key named instead of being silently ignored by Helm.
 *
 * Charts document optional keys as commented-out examples (`# storageClass: "-"`, `# existingSecret: influxdb-auth`),
 * so the allowed keys are the live keys plus commented-out keys (single `#`; `##` lines are prose). Below a key whose
 * default is an empty map or list (`resources: {}`, `tolerations: []`), a list, or null, anything is allowed: those
 * are free-form Kubernetes objects. The reader is a small indentation-based scanner (no YAML dependency at runtime),
 * good for the block-style YAML charts use.
 *
 * Committed key trees. The charts' values files are third-party files and are not part of this project, so the key
 * tree of each pinned chart is committed instead, derived from its values.yaml by {@link chartValueKeys}:
 * `components/chart-keys/<chart>-<version>.json` (see {@link chartKeysFile}), written by `npm run chart-keys`
 * (test/tools/chart-keys.ts) and checked against the values files by test/components/chart-values.test.ts. Format
 * ({@link serializeChartKeys}, {@link parseChartKeys}): the root is a JSON object; each node is
 * - an object `{ "<key>": <node>, ... }` of the keys allowed below it (`{}` for a scalar leaf), when it is closed;
 * - the string `"*"` when it is open (any key allowed below) and no keys are listed below it;
 * - an object whose member `"*": "*"` marks it open, beside the keys listed below it (e.g. `resources: {}` followed
 *   by commented-out `limits`/`requests` examples). A chart key literally named `*` cannot be represented.
 * Key order is that of the values file, except that JSON puts integer-like keys first.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** A node of the key tree read from a values file. */
export interface ChartKeyNode {
    /** Keys allowed below this one. */
    readonly children: Map<string, ChartKeyNode>;
    /** True when any key is allowed below (empty map/list, list, null or flow default). */
    open: boolean;
}

interface Frame {
    readonly indent: number;
    readonly node: ChartKeyNode;
    /** Whether the key on this frame had no inline value (a nested map, a list or null follows). */
    readonly bare: boolean;
}

const KEY_LINE = /^(\s*)(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_][\w./-]*))\s*:(?:\s+(.*))?$/;
const LIST_ITEM = /^(\s*)-(\s|$)/;
const BLOCK_SCALAR = /^[|>][-+0-9]*\s*(#.*)?$/;

function newNode(): ChartKeyNode {
    return { children: new Map(), open: false };
}

/** Read the tree of allowed keys from the text of a chart's `values.yaml` (live and commented-out keys). */
export function chartValueKeys(yamlText: string): ChartKeyNode {
    const root = newNode();
    const stack: Frame[] = [{ indent: -1, node: root, bare: true }];
    const bareNodes = new Set<ChartKeyNode>();
    /** Lines indented deeper than this (or list items at it) belong to a block scalar or a list: skip them. */
    let skip: { indent: number; listItems: boolean } | undefined;

    for (const rawLine of yamlText.split(/\r?\n/)) {
        let line = rawLine;
        const comment = /^(\s*)#(.*)$/.exec(line);
        if (comment) {
            if (comment[2].startsWith("#") || comment[2].startsWith("!")) {
                continue; // `##` prose or a shebang
            }
            // `  # key: value` documents an optional key at the indentation of the `#`.
            line = comment[1] + comment[2].replace(/^ /, "");
        }
        if (line.trim() === "" || line.trim() === "---") {
            continue;
        }
        const indent = line.length - line.trimStart().length;
        if (skip) {
            if (indent > skip.indent || (indent === skip.indent && skip.listItems && LIST_ITEM.test(line))) {
                continue;
            }
            skip = undefined;
        }
        const item = LIST_ITEM.exec(line);
        if (item) {
            // A list: everything below the key that owns it is free-form.
            while (stack.length > 1 && stack[stack.length - 1].indent > indent) {
                stack.pop();
            }
            const owner = stack[stack.length - 1];
            if (owner.bare) {
                owner.node.open = true;
            }
            skip = { indent, listItems: true };
            continue;
        }
        const key = KEY_LINE.exec(line);
        if (!key) {
            continue; // prose in a comment, or a continuation line
        }
        const name = key[2] ?? key[3] ?? key[4];
        const value = (key[5] ?? "").replace(/\s+#.*$/, "").trim();
        while (stack.length > 1 && stack[stack.length - 1].indent >= indent) {
            stack.pop();
        }
        const parent = stack[stack.length - 1].node;
        const node = parent.children.get(name) ?? newNode();
        parent.children.set(name, node);
        if (value === "") {
            stack.push({ indent, node, bare: true });
            bareNodes.add(node);
        } else if (BLOCK_SCALAR.test(value)) {
            skip = { indent, listItems: false };
        } else if (value.startsWith("{") || value.startsWith("[") || value === "null" || value === "~") {
            node.open = true; // `{}`, `[]`, flow collections, null: free-form
            stack.push({ indent, node, bare: false });
        } else {
            stack.push({ indent, node, bare: false });
        }
    }
    // `key:` with nothing below is null: free-form.
    for (const node of bareNodes) {
        if (node.children.size === 0) {
            node.open = true;
        }
    }
    return root;
}

/** Marker of an open node in the committed JSON key trees (see the header of this module). */
const OPEN = "*";

/** A JSON node of a committed key tree. */
type ChartKeyJson = typeof OPEN | { [key: string]: ChartKeyJson };

/**
 * The JSON text of a key tree in the committed format (see the header of this module): two-space indentation, as
 * Prettier formats JSON in this repository, and a final newline. Throws on a key named `*`, which the format cannot
 * hold.
 */
export function serializeChartKeys(node: ChartKeyNode): string {
    const toJson = (n: ChartKeyNode, where: string): ChartKeyJson => {
        if (n.open && n.children.size === 0) {
            return OPEN;
        }
        const obj: { [key: string]: ChartKeyJson } = n.open ? { [OPEN]: OPEN } : {};
        for (const [key, child] of n.children) {
            const childPath = where ? `${where}.${key}` : key;
            if (key === OPEN) {
                throw new Error(`chart key "${childPath}": a key named "${OPEN}" cannot be written to a key tree file`);
            }
            obj[key] = toJson(child, childPath);
        }
        return obj;
    };
    const root = toJson(node, "");
    // The root is an object even if open, so a key tree file is always a JSON object.
    return JSON.stringify(root === OPEN ? { [OPEN]: OPEN } : root, null, 2) + "\n";
}

/** Read a key tree from JSON text written by {@link serializeChartKeys}; throws naming the first malformed node. */
export function parseChartKeys(json: string): ChartKeyNode {
    const parsed: unknown = JSON.parse(json);
    const fromJson = (v: unknown, where: string): ChartKeyNode => {
        if (v === OPEN) {
            return { children: new Map(), open: true };
        }
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            throw new Error(`${where || "the root"}: expected an object or "${OPEN}", got ${JSON.stringify(v)}`);
        }
        const node = newNode();
        for (const [key, child] of Object.entries(v)) {
            if (key === OPEN) {
                if (child !== OPEN) {
                    throw new Error(`${where || "the root"}: member "${OPEN}" must be "${OPEN}"`);
                }
                node.open = true;
            } else {
                node.children.set(key, fromJson(child, where ? `${where}.${key}` : key));
            }
        }
        return node;
    };
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("a key tree file must hold a JSON object");
    }
    return fromJson(parsed, "");
}

/**
 * Path of the committed key tree of `chart` at `version`, `components/chart-keys/<chart>-<version>.json`, the default
 * the Kubernetes components validate their Helm values against.
 */
export function chartKeysFile(chart: string, version: string): string {
    return path.join(__dirname, "chart-keys", `${chart}-${version}.json`);
}

/**
 * The key tree in `file`: a `.json` file is a committed key tree ({@link parseChartKeys}), a `.yaml`/`.yml` file a
 * chart's values file read by {@link chartValueKeys} (e.g. a newer chart's, passed as `chartValuesFile`).
 */
export function loadChartKeys(file: string): ChartKeyNode {
    const ext = path.extname(file).toLowerCase();
    if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
        throw new Error(
            `the chart's values file ${file} must be a values.yaml (.yaml, .yml) or a key tree (.json), got "${ext}"`,
        );
    }
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new Error(`the chart's values file ${file} cannot be read (${String(err)})`);
    }
    if (ext !== ".json") {
        return chartValueKeys(text);
    }
    try {
        return parseChartKeys(text);
    } catch (err) {
        throw new Error(
            `the chart's key tree ${file} is not valid (${err instanceof Error ? err.message : String(err)})`,
        );
    }
}

/** Options of {@link validateChartValues}. */
export interface ChartValidationOptions {
    /**
     * Dotted paths below which any key is accepted, for maps the values file shows with example entries, e.g.
     * `initScripts.scripts` (script file names).
     */
    readonly freeForm?: readonly string[];
}

/** An unknown key found by {@link findUnknownChartKeys}. */
export interface UnknownChartKey {
    /** Dotted path of the key, e.g. `persistence.sise`. */
    readonly path: string;
    /** Closest allowed sibling, when one is close enough to be a likely typo. */
    readonly suggestion?: string;
}

/**
 * Keys of `values` that the key tree does not allow. Values that are Outputs or Promises are not looked into (their
 * keys are not known before the deployment); lists are not looked into.
 */
export function findUnknownChartKeys(
    values: Record<string, unknown>,
    keys: ChartKeyNode,
    options: ChartValidationOptions = {},
): UnknownChartKey[] {
    const unknown: UnknownChartKey[] = [];
    const freeForm = new Set(options.freeForm ?? []);
    const walk = (obj: Record<string, unknown>, node: ChartKeyNode, prefix: string) => {
        for (const [k, v] of Object.entries(obj)) {
            const path = prefix ? `${prefix}.${k}` : k;
            if (freeForm.has(path)) {
                continue;
            }
            const child = node.children.get(k);
            if (!child) {
                if (!node.open) {
                    const suggestion = closest(k, [...node.children.keys()]);
                    unknown.push({ path, suggestion: suggestion && (prefix ? `${prefix}.${suggestion}` : suggestion) });
                }
                continue;
            }
            if (child.open || !isPlainObject(v)) {
                continue;
            }
            walk(v, child, path);
        }
    };
    walk(values, keys, "");
    return unknown;
}

/**
 * Reject values whose keys the chart's key tree in `file` does not define, with an error naming every unknown key,
 * the closest valid key, and the file. `file` is a committed key tree (`.json`, see {@link chartKeysFile}) or a
 * chart's `values.yaml` (`.yaml`/`.yml`, live and commented-out keys); see {@link loadChartKeys}. Pure but for
 * reading that file.
 */
export function validateChartValues(
    values: Record<string, unknown>,
    file: string,
    options: ChartValidationOptions = {},
): void {
    let keys: ChartKeyNode;
    try {
        keys = loadChartKeys(file);
    } catch (err) {
        throw new Error(`cannot validate Helm values: ${err instanceof Error ? err.message : String(err)}`);
    }
    const unknown = findUnknownChartKeys(values, keys, options);
    if (unknown.length > 0) {
        const list = unknown
            .map((u) => `"${u.path}"${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ""}`)
            .join(", ");
        throw new Error(
            `unknown Helm chart value${unknown.length > 1 ? "s" : ""} ${list}: not defined in ${file}. ` +
                `Fix the key or remove it; only keys of the chart's values.yaml (including its commented-out examples) ` +
                `are accepted.`,
        );
    }
}

/** A plain object literal (not an Output, a Promise or an array): a map of chart values to look into. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return (
        typeof v === "object" &&
        v !== null &&
        !Array.isArray(v) &&
        !pulumi.Output.isInstance(v) &&
        !(v instanceof Promise) &&
        (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
    );
}

function closest(key: string, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = editDistance(key.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    const tolerance = Math.max(2, Math.floor(key.length / 3));
    if (best !== undefined && (bestDistance <= tolerance || best.toLowerCase().includes(key.toLowerCase()))) {
        return best;
    }
    // `imagePullPolicy` vs `pullPolicy`: a candidate contained in the key.
    return candidates.find((c) => key.toLowerCase().includes(c.toLowerCase()) && c.length >= 4);
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}
