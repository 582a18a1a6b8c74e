// The Flux AST as the official parser returns it (plain JSON), and the few ways this project walks and reads it.

/** 1-based position in the source, as reported by the Flux parser. */
export interface FluxAstPosition {
    readonly line: number;
    readonly column: number;
}

/** A node of the Flux AST returned by the wasm `parse` (plain JSON; only the fields this project reads are typed). */
export interface FluxAstNode {
    readonly type?: string;
    readonly location?: { readonly start: FluxAstPosition; readonly end: FluxAstPosition; readonly source?: string };
    readonly errors?: readonly { readonly msg: string }[];
    readonly [field: string]: unknown;
}

/** Calls `visit` on every node of the subtree, parents before children. */
export function walkAst(node: FluxAstNode, visit: (node: FluxAstNode) => void): void {
    visit(node);
    for (const [key, value] of Object.entries(node)) {
        if (key === "location" || key === "errors") continue;
        for (const child of Array.isArray(value) ? value : [value]) {
            if (isAstNode(child)) walkAst(child, visit);
        }
    }
}

/** The object-valued field `key` of a node, if it is one. */
export function astChild(node: FluxAstNode | undefined, key: string): FluxAstNode | undefined {
    const value = node?.[key];
    return isAstNode(value) ? value : undefined;
}

/** The array-valued field `key` of a node, keeping only nodes. */
export function astChildren(node: FluxAstNode | undefined, key: string): FluxAstNode[] {
    const value = node?.[key];
    return Array.isArray(value) ? value.filter(isAstNode) : [];
}

/** The literal string of a StringLiteral node; undefined for anything else (interpolation, concatenation, ...). */
export function astStringLiteral(node: FluxAstNode | undefined): string | undefined {
    return node?.type === "StringLiteral" && typeof node.value === "string" ? node.value : undefined;
}

/** Short human description of an expression node, e.g. "identifier `x` at line 1, column 34". */
export function describeAstNode(node: FluxAstNode): string {
    const kinds: Record<string, string> = {
        Identifier: "identifier",
        CallExpression: "function call",
        BinaryExpression: "binary expression",
        UnaryExpression: "unary expression",
        StringExpression: "interpolated string",
        MemberExpression: "member expression",
        ObjectExpression: "record",
        ArrayExpression: "array",
        FunctionExpression: "function",
        StringLiteral: "string literal",
        IntegerLiteral: "integer literal",
        FloatLiteral: "float literal",
        DurationLiteral: "duration literal",
        BooleanLiteral: "boolean literal",
        DateTimeLiteral: "time literal",
    };
    const kind = kinds[node.type ?? ""] ?? node.type ?? "expression";
    const source = node.location?.source;
    const where = node.location ? ` at line ${node.location.start.line}, column ${node.location.start.column}` : "";
    return source ? `${kind} \`${source}\`${where}` : `${kind}${where}`;
}

/** Whether a statement is `option task = ...`. */
export function isTaskOptionStatement(statement: FluxAstNode): boolean {
    const assignment = astChild(statement, "assignment");
    return (
        statement.type === "OptionStatement" &&
        assignment?.type === "VariableAssignment" &&
        astChild(assignment, "id")?.name === "task"
    );
}

export function isAstNode(value: unknown): value is FluxAstNode {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Name of the called function for call nodes (`f(...)` or `pkg.f(...)`), undefined for other nodes. */
export function calleeName(node: FluxAstNode): string | undefined {
    if (!Array.isArray(node.arguments)) return undefined;
    const callee = astChild(node, "callee");
    if (typeof callee?.name === "string") return callee.name;
    const property = astChild(callee, "property");
    return typeof property?.name === "string" ? property.name : astStringLiteral(property);
}
