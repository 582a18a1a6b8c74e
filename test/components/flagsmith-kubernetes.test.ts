// KubernetesFlagsmith under mocks (components/flagsmith-kubernetes.ts): what it registers, in which order, with
// which values, and that no secret reaches an input in plain text. Helpers shared with flagsmith-docker.test.ts:
// flagsmith-helpers.ts.
import * as assert from "assert";
import {
    dnsLabel,
    FLAGSMITH_CHART,
    FLAGSMITH_CHART_KEYS_FILE,
    flagsmithAccess,
    flagsmithApiUrl,
    flagsmithFullname,
    kubernetesCreateSuperuserCommand,
    KubernetesFlagsmith,
    KubernetesFlagsmithArgs,
    mergeValues,
    SECRETS_CHECKSUM_ANNOTATION,
} from "../../components/flagsmith-kubernetes";
import { MockRun, resolveOutputs, runProgram } from "../harness/mocks";
import { TOKEN, INFLUX_URL, ORG, BUCKET, influxEnv, generated, mocks } from "./flagsmith-helpers";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function runK8s(args: Partial<KubernetesFlagsmithArgs> = {}, stack = "test") {
    return runProgram(() => new KubernetesFlagsmith("fs", { influxEnv: influxEnv(), ...args }), {
        stack,
        mocks: mocks(),
    });
}

function values(run: MockRun<unknown>): Record<string, Record<string, unknown>> {
    return run.one(RELEASE).inputs.values as Record<string, Record<string, unknown>>;
}

describe("KubernetesFlagsmith", () => {
    it("installs the pinned Flagsmith chart from its repository into a stack-scoped namespace", async () => {
        const run = await runK8s();
        const release = run.one(RELEASE);
        assert.strictEqual(release.inputs.chart, "flagsmith");
        assert.strictEqual(release.inputs.version, "0.81.0");
        assert.deepStrictEqual(release.inputs.repositoryOpts, {
            repo: "https://flagsmith.github.io/flagsmith-charts/",
        });
        assert.strictEqual(release.inputs.name, "flagsmith-test");
        assert.strictEqual(release.inputs.namespace, "flagsmith-test");
        assert.strictEqual(release.inputs.skipAwait, false);
        const ns = run.one(NAMESPACE);
        assert.deepStrictEqual((ns.inputs.metadata as { name: string }).name, "flagsmith-test");
        assert.ok(release.dependencies.includes(ns.urn));
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.releaseName.value, "flagsmith-test");
        assert.strictEqual(out.namespace.value, "flagsmith-test");
        assert.strictEqual(out.apiUrl.value, "http://flagsmith-test-api.flagsmith-test.svc.cluster.local:8000");
    });

    it("points influxdbExternal at the Pulumi-managed token Secret", async () => {
        const run = await runK8s();
        const v = values(run);
        const tokenSecret = run.one(SECRET, "fs-influxdb-token");
        const meta = tokenSecret.inputs.metadata as { name: string; namespace: string };
        assert.deepStrictEqual(v.influxdbExternal, {
            enabled: true,
            url: INFLUX_URL,
            bucket: BUCKET,
            organization: ORG,
            tokenFromExistingSecret: { enabled: true, name: meta.name, key: "token" },
        });
        assert.strictEqual(meta.name, "flagsmith-test-influxdb-token");
        assert.strictEqual(meta.namespace, run.one(RELEASE).inputs.namespace);
        assert.deepStrictEqual(tokenSecret.inputs.stringData, { token: TOKEN });
        assert.ok(
            tokenSecret.secretInputs.some((p) => p.startsWith("stringData")),
            "token is secret",
        );
        assert.ok(!("token" in (v.influxdbExternal as object)), "the token itself is not a chart value");
        assert.ok(!("influxdb2" in v), "chart 0.81.0 has no in-chart InfluxDB to disable");
        assert.ok(run.one(RELEASE).dependsOn.includes(tokenSecret.urn), "the Secret exists before the release");
    });

    it("enables the task processor and supplies a generated Django secret key", async () => {
        const run = await runK8s();
        const v = values(run);
        assert.strictEqual(v.taskProcessor.enabled, true);
        const keySecret = run.one(SECRET, "fs-django-secret-key");
        const meta = keySecret.inputs.metadata as { name: string; namespace: string };
        assert.deepStrictEqual((v.api as Record<string, unknown>).secretKeyFromExistingSecret, {
            enabled: true,
            name: meta.name,
            key: "django-secret-key",
        });
        assert.deepStrictEqual(keySecret.inputs.stringData, { "django-secret-key": generated("fs-django-secret-key") });
        const checksum = (v.api.podAnnotations as Record<string, string>)[SECRETS_CHECKSUM_ANNOTATION];
        assert.match(checksum, /^[0-9a-f]{64}$/);
        assert.strictEqual(
            (v.taskProcessor.podAnnotations as Record<string, string>)[SECRETS_CHECKSUM_ANNOTATION],
            checksum,
        );
    });

    it("uses the chart's dev Postgres with a generated, secret password by default", async () => {
        const run = await runK8s();
        const v = values(run);
        const password = generated("fs-postgres-password");
        assert.deepStrictEqual(v.devPostgresql, {
            enabled: true,
            auth: { postgresPassword: password },
            primary: { persistence: { existingClaim: "flagsmith-test-dev-postgresql-data" } },
        });
        assert.ok(!("databaseExternal" in v));
        // The claim is the stack's own (deleted with it), with the subchart's defaults, awaited by nobody.
        const claim = run.one("kubernetes:core/v1:PersistentVolumeClaim");
        assert.deepStrictEqual(claim.inputs.spec, {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "8Gi" } },
        });
        assert.deepStrictEqual((claim.inputs.metadata as { annotations: unknown }).annotations, {
            "pulumi.com/skipAwait": "true",
        });
        assert.ok(run.one(RELEASE).dependsOn.includes(claim.urn), "the release after its claim");
        const release = run.one(RELEASE);
        assert.ok(
            release.secretInputs.includes("values.devPostgresql.auth.postgresPassword"),
            `password sent as a secret (secret inputs: ${release.secretInputs.join(", ")})`,
        );
        for (const secret of [TOKEN, password, generated("fs-django-secret-key")]) {
            assert.deepStrictEqual(run.plaintextOccurrences(secret), [], secret);
        }
    });

    it("uses an external database from a URL or from its parts, the password kept secret", async () => {
        const url = "postgres://fs:url-pass-91@db.example.com:5432/flagsmith";
        let run = await runK8s({ databaseExternal: { url } });
        let v = values(run);
        assert.deepStrictEqual(v.devPostgresql, { enabled: false });
        assert.deepStrictEqual(v.databaseExternal, { enabled: true, url });
        assert.deepStrictEqual(run.plaintextOccurrences("url-pass-91"), []);
        assert.strictEqual(run.byName("fs-postgres-password").length, 0, "no dev password generated");

        // By parts, any password works: the chart would join them unencoded, so the program builds the encoded URL
        // into a Secret of its own and the chart reads it by reference.
        run = await runK8s({
            databaseExternal: {
                host: "db.example.com",
                database: "flagsmith",
                username: "fs",
                password: "p@ss/w:rd#1",
            },
        });
        v = values(run);
        const secret = run.byName("fs-database-url")[0];
        const name = (secret.inputs.metadata as { name: string }).name;
        assert.deepStrictEqual(v.databaseExternal, {
            enabled: true,
            urlFromExistingSecret: { enabled: true, name, key: "url" },
        });
        const built = new URL((secret.inputs.stringData as Record<string, string>).url);
        assert.strictEqual(built.href, "postgres://fs:p%40ss%2Fw%3Ard%231@db.example.com:5432/flagsmith");
        assert.strictEqual(decodeURIComponent(built.password), "p@ss/w:rd#1");
        assert.ok(secret.secretInputs.some((p) => p.startsWith("stringData")));
        assert.deepStrictEqual(run.plaintextOccurrences("p@ss/w:rd#1"), []);
        assert.deepStrictEqual(run.plaintextOccurrences(built.href), []);

        await assert.rejects(runK8s({ databaseExternal: { host: "db" } }), /needs database, username, password/);
        await assert.rejects(
            runK8s({ databaseExternal: { url, host: "db" } }),
            /either url, or host\/port\/database\/username\/password/,
        );
    });

    it("rejects unknown chart values, naming the key", async () => {
        await assert.rejects(runK8s({ extraValues: { api: { replicaCount: 2 } } }), (err: Error) => {
            assert.match(err.message, /"api\.replicaCount" \(did you mean "api\.replicacount"\?\)/);
            return true;
        });
        await assert.rejects(runK8s({ extraValues: { influxdb2: { enabled: false } } }), /"influxdb2"/);
    });

    it("refuses extra values that would take over what the component manages", async () => {
        await assert.rejects(
            runK8s({ extraValues: { UsePostgresForAnalytics: { enabled: true } } }),
            /must not set "UsePostgresForAnalytics": Flagsmith would store analytics in Postgres/,
        );
        await assert.rejects(
            runK8s({ extraValues: { api: { extraEnv: { USE_POSTGRES_FOR_ANALYTICS: "true" } } } }),
            /"api\.extraEnv\.USE_POSTGRES_FOR_ANALYTICS"/,
        );
        await assert.rejects(
            runK8s({ extraValues: { taskProcessor: { enabled: false } } }),
            /"taskProcessor\.enabled"/,
        );
        await assert.rejects(runK8s({ extraValues: { influxdbExternal: { token: "x" } } }), /"influxdbExternal"/);
    });

    it("merges valid extra values, including subchart and env passthroughs", async () => {
        const run = await runK8s({
            extraValues: {
                api: { replicacount: 2, extraEnv: { PREVENT_SIGNUP: "true" } },
                taskProcessor: { replicacount: 3 },
                devPostgresql: { primary: { persistence: { size: "2Gi" } } },
                ingress: { api: { enabled: true } },
            },
        });
        const v = values(run);
        assert.strictEqual(v.api.replicacount, 2);
        assert.deepStrictEqual(v.api.extraEnv, { PREVENT_SIGNUP: "true" });
        assert.deepStrictEqual(v.taskProcessor.enabled, true);
        assert.deepStrictEqual(v.taskProcessor.replicacount, 3);
        assert.deepStrictEqual((v.devPostgresql.primary as Record<string, unknown>).persistence, {
            size: "2Gi",
            existingClaim: "flagsmith-test-dev-postgresql-data",
        });
        assert.deepStrictEqual(
            (run.one("kubernetes:core/v1:PersistentVolumeClaim").inputs.spec as { resources: unknown }).resources,
            { requests: { storage: "2Gi" } },
            "the claim takes the size asked of the subchart",
        );
        assert.strictEqual(v.devPostgresql.enabled, true);
        assert.deepStrictEqual(v.ingress, { api: { enabled: true } });
    });

    it("makes no claim of its own for a dev Postgres on the user's claim or without persistence", async () => {
        for (const persistence of [{ existingClaim: "mine" }, { enabled: false }]) {
            const run = await runK8s({ extraValues: { devPostgresql: { primary: { persistence } } } });
            assert.strictEqual(run.byType("kubernetes:core/v1:PersistentVolumeClaim").length, 0);
            assert.deepStrictEqual(
                (values(run).devPostgresql.primary as Record<string, unknown>).persistence,
                persistence,
            );
        }
    });

    it("deploys into a given namespace without creating one", async () => {
        const run = await runK8s({ namespace: "platform", releaseName: "fs-analytics" });
        assert.strictEqual(run.byType(NAMESPACE).length, 0);
        assert.strictEqual(run.one(RELEASE).inputs.namespace, "platform");
        for (const s of run.byType(SECRET)) {
            assert.strictEqual((s.inputs.metadata as { namespace: string }).namespace, "platform");
        }
        const out = await resolveOutputs(run.result);
        assert.strictEqual(out.apiUrl.value, "http://fs-analytics-flagsmith-api.platform.svc.cluster.local:8000");
        await assert.rejects(runK8s({ releaseName: "Bad_Name" }), /releaseName "Bad_Name" must be a DNS-1123 label/);
    });

    it("derives DNS-safe names from any stack name", async () => {
        const run = await runK8s({}, "Team_A.prod");
        assert.strictEqual(run.one(RELEASE).inputs.name, "flagsmith-team-a-prod");
        assert.strictEqual(dnsLabel("x".repeat(80), 53, "n").length, 53);
        assert.strictEqual(flagsmithFullname("flagsmith-dev"), "flagsmith-dev");
        assert.strictEqual(flagsmithFullname("fs"), "fs-flagsmith");
        assert.strictEqual(flagsmithApiUrl("fs", "ns", 8000), "http://fs-flagsmith-api.ns.svc.cluster.local:8000");
        assert.deepStrictEqual(mergeValues({ a: { b: 1, c: 2 } }, { a: { c: 3 } }), { a: { b: 1, c: 3 } });
    });

    it("derives the dashboard access from the chart values as chart 0.81.0 renders them", () => {
        // templates/service-frontend.yaml: <fullname>-frontend, port service.frontend.port (8080 by default).
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", {}), {
            url: "http://localhost:8080",
            portForward: "kubectl -n ns port-forward svc/fs-flagsmith-frontend 8080:8080",
        });
        assert.deepStrictEqual(
            flagsmithAccess("fs", "ns", { service: { frontend: { port: 80 } } }).portForward,
            "kubectl -n ns port-forward svc/fs-flagsmith-frontend 8080:80",
        );
        // frontend.enabled false: no frontend Service (or ingress); the API Service is what is left.
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", { frontend: { enabled: false } }), {
            url: "http://localhost:8000",
            portForward: "kubectl -n ns port-forward svc/fs-flagsmith-api 8000:8000",
        });
        const hosts = ["flagsmith.example.com", "other.example.com"];
        const tls = [{ secretName: "tls", hosts: ["flagsmith.example.com"] }];
        assert.deepStrictEqual(flagsmithAccess("fs", "ns", { ingress: { frontend: { enabled: true, hosts, tls } } }), {
            url: "https://flagsmith.example.com",
        });
        // An ingress that is not enabled, or without a host, is not a way in.
        for (const frontend of [
            { enabled: false, hosts },
            { enabled: true, hosts: [] },
        ]) {
            assert.ok(flagsmithAccess("fs", "ns", { ingress: { frontend } }).portForward, JSON.stringify(frontend));
        }
        assert.ok(
            flagsmithAccess("fs", "ns", {
                frontend: { enabled: false },
                ingress: { frontend: { enabled: true, hosts } },
            }).portForward,
        );
        assert.strictEqual(
            kubernetesCreateSuperuserCommand("fs", "ns"),
            "kubectl -n ns exec -it deploy/fs-flagsmith-api -c flagsmith-api -- python manage.py createsuperuser",
        );
    });

    it("validates against the committed key tree of the pinned chart", async () => {
        assert.strictEqual(FLAGSMITH_CHART.version, "0.81.0");
        assert.match(FLAGSMITH_CHART_KEYS_FILE, /components[\\/]chart-keys[\\/]flagsmith-0\.81\.0\.json$/);
        await assert.rejects(
            runK8s({ chartValuesFile: "/nonexistent/values.yaml" }),
            /values file \/nonexistent\/values\.yaml cannot be read/,
        );
    });
});
