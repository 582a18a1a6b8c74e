/**
 * An InfluxDB 2.x server this program does not deploy (InfluxDB Cloud, a server run by another team, one installed
 * by hand). Nothing is created but the Organization lookup that resolves the org ID; the operator token comes from a
 * secret config value or from an existing Kubernetes Secret (the `influxdbExternal.tokenFromExistingSecret` pattern of
 * Flagsmith's chart).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InfluxConnection } from "./connection";
import { resourceError, settingError } from "./errors";
import { connectionOutputs, lookUpOrgId } from "./influxdb-common";
import { checkHttpUrl, checkNonEmpty, validated } from "./settings/validators";

/** A key of an existing Kubernetes Secret. */
export interface ExistingSecretKeyArgs {
    /** Name of the Secret. Non-empty. */
    readonly name: pulumi.Input<string>;
    /** Key within the Secret's data holding the token. Non-empty. */
    readonly key: pulumi.Input<string>;
    /** Namespace of the Secret. Non-empty. */
    readonly namespace: pulumi.Input<string>;
}

export interface ExternalInfluxDBArgs {
    /** URL Flagsmith uses to reach InfluxDB, with the port (e.g. `http://influxdb.monitoring:8086`). http(s). */
    readonly url: pulumi.Input<string>;
    /** URL of the API from the machine running Pulumi. Default: `url`. http(s). */
    readonly managementUrl?: pulumi.Input<string>;
    /** Existing organization name (`influxdbExternal.organization`). Non-empty. */
    readonly org: pulumi.Input<string>;
    /** Existing bucket Flagsmith writes to (`influxdbExternal.bucket`). Non-empty. */
    readonly bucket: pulumi.Input<string>;
    /** Operator token (`influxdbExternal.token`), made secret; pass a secret config value. Exclusive with the next. */
    readonly token?: pulumi.Input<string>;
    /** Read the token from an existing Kubernetes Secret (`influxdbExternal.tokenFromExistingSecret`). */
    readonly tokenFromExistingSecret?: ExistingSecretKeyArgs;
}

/** A connection to an InfluxDB 2.x server that Pulumi does not deploy. */
export class ExternalInfluxDB extends pulumi.ComponentResource implements InfluxConnection {
    public readonly internalUrl: pulumi.Output<string>;
    public readonly managementUrl: pulumi.Output<string>;
    public readonly org: pulumi.Output<string>;
    public readonly orgId: pulumi.Output<string>;
    public readonly adminToken: pulumi.Output<string>;
    public readonly initialBucket: pulumi.Output<string>;
    /** None: Pulumi must delete what it creates in an external server itself. */
    public readonly server: undefined = undefined;
    /** Nothing is deployed, so nothing to wait for. */
    public readonly readiness: pulumi.Resource[] = [];

    constructor(name: string, args: ExternalInfluxDBArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flagsmith:influxdb:ExternalInfluxDB", name, {}, opts);
        const label = `ExternalInfluxDB "${name}"`;
        if ((args.token === undefined) === (args.tokenFromExistingSecret === undefined)) {
            throw settingError(
                `${label}: set exactly one of token (a secret config value) and tokenFromExistingSecret ` +
                    `({ name, key, namespace } of a Kubernetes Secret).`,
            );
        }
        const url = validated(args.url, (v) => checkHttpUrl(v, `${label} url`));
        this.internalUrl = pulumi.output(url);
        this.managementUrl = pulumi.output(
            args.managementUrl === undefined
                ? url
                : validated(args.managementUrl, (v) => checkHttpUrl(v, `${label} managementUrl`)),
        );
        this.org = pulumi.output(validated(args.org, (v) => checkNonEmpty(v, `${label} org`, "organization")));
        this.initialBucket = pulumi.output(
            validated(args.bucket, (v) => checkNonEmpty(v, `${label} bucket`, "bucket")),
        );

        if (args.token !== undefined) {
            this.adminToken = pulumi.secret(
                validated(args.token, (v) => checkNonEmpty(v, `${label} token`, "operator token")),
            );
        } else {
            const ref = args.tokenFromExistingSecret as ExistingSecretKeyArgs;
            for (const field of ["name", "key", "namespace"] as const) {
                const value: unknown = ref[field];
                if (!pulumi.Output.isInstance(value) && !(value instanceof Promise)) {
                    checkNonEmpty(value, `${label} tokenFromExistingSecret.${field}`, field);
                }
            }
            const secret = k8s.core.v1.Secret.get(`${name}-token`, pulumi.interpolate`${ref.namespace}/${ref.name}`, {
                parent: this,
            });
            this.adminToken = pulumi.secret(
                pulumi
                    .all([secret.data, ref.key, ref.namespace, ref.name])
                    .apply(([data, key, namespace, secretName]) => {
                        const encoded = data?.[key];
                        if (encoded === undefined) {
                            throw resourceError(
                                `${label} tokenFromExistingSecret: Secret ${namespace}/${secretName} has no key "${key}" ` +
                                    `(keys: ${Object.keys(data ?? {}).join(", ") || "none"}).`,
                                secret,
                            );
                        }
                        return Buffer.from(encoded, "base64").toString("utf8");
                    }),
            );
        }

        this.orgId = lookUpOrgId(this, name, this);

        this.registerOutputs({
            ...connectionOutputs(this),
        });
    }
}
