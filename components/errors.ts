// The errors the program shows its user. Pulumi's Node runtime prints a RunError as its message alone, once, without
// a stack trace, and a ResourceError created with hideStack against its resource (@pulumi/pulumi cmd/run/run.js);
// any other Error is printed as "Running program ... failed with an unhandled exception" and its stack. Plain Errors
// are left for programming errors, where the stack is what a reader needs.
import * as pulumi from "@pulumi/pulumi";

/** A bad setting or argument, or a check of the program's input that failed; the message names it and the fix. */
export function settingError(message: string): pulumi.RunError {
    return new pulumi.RunError(message);
}

/** A problem with one resource (e.g. what a Secret it reads holds), reported against it, without a stack trace. */
export function resourceError(message: string, resource: pulumi.Resource): pulumi.ResourceError {
    return new pulumi.ResourceError(message, resource, true);
}
