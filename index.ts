import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
export const platform = config.get("platform") ?? "docker";
