// Flux, in one place: loading the official parser and language server (analyzer.ts), walking the AST (ast.ts), reading
// a task's `option task` header (task-option.ts) and the buckets a script touches (references.ts).
export * from "./analyzer";
export * from "./ast";
export * from "./references";
export * from "./task-option";
