// Which buckets a Flux script reads and writes, found in its AST.
import { parseFluxAst } from "./analyzer";
import { astChild, astChildren, astStringLiteral, calleeName, describeAstNode, walkAst } from "./ast";

/** Buckets a Flux script touches. */
export interface BucketReferences {
    /** Buckets read with `from(bucket: "...")`, in order of first appearance. */
    readonly reads: string[];
    /** Buckets written with `to(bucket: "...")` (or `wideTo`), in order of first appearance. */
    readonly writes: string[];
    /** Calls whose bucket cannot be known without running the script (non-literal `bucket`, or `bucketID`). */
    readonly unresolved: string[];
}

/**
 * Buckets a script reads (`from`) and writes (`to`, `wideTo`, also as package members such as `experimental.to`),
 * found in the AST. Meant for checking that every bucket a task touches is declared by the stack.
 */
export function bucketsReferenced(flux: string): BucketReferences {
    const reads = new Set<string>();
    const writes = new Set<string>();
    const unresolved: string[] = [];
    walkAst(parseFluxAst(flux), (node) => {
        const callee = calleeName(node);
        const target = callee === "from" ? reads : callee === "to" || callee === "wideTo" ? writes : undefined;
        if (!target) return;
        const args = astChildren(astChildren(node, "arguments")[0], "properties");
        const argument = (name: string) => args.find((p) => astChild(p, "key")?.name === name);
        const bucket = argument("bucket");
        const where = node.location ? ` at line ${node.location.start.line}` : "";
        if (bucket) {
            const value = astChild(bucket, "value");
            const name = astStringLiteral(value);
            if (name !== undefined) target.add(name);
            else unresolved.push(`${callee}()${where}: bucket is ${value ? describeAstNode(value) : "missing"}`);
        } else if (argument("bucketID")) {
            unresolved.push(`${callee}()${where}: uses bucketID`);
        }
    });
    return { reads: [...reads], writes: [...writes], unresolved };
}
