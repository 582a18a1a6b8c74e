// How Pulumi's Node runtime shows an error the program throws (@pulumi/pulumi cmd/run/run.js, uncaughtHandler): a
// RunError as its message alone; a ResourceError against its resource, without the stack when created with
// hideStack; anything else as "Running program ... failed with an unhandled exception" followed by its stack.
import * as pulumi from "@pulumi/pulumi";

export interface Reported {
    /** The SDK error type the runtime recognises, or `Error` for any other. */
    readonly kind: "RunError" | "ResourceError" | "Error";
    /** Whether the user sees the message without a stack trace. */
    readonly withoutStack: boolean;
    readonly message: string;
}

export function howReported(error: unknown): Reported {
    const message = error instanceof Error ? error.message : String(error);
    if (pulumi.RunError.isInstance(error)) {
        return { kind: "RunError", withoutStack: true, message };
    }
    if (pulumi.ResourceError.isInstance(error)) {
        return { kind: "ResourceError", withoutStack: error.hideStack === true, message };
    }
    return { kind: "Error", withoutStack: false, message };
}
