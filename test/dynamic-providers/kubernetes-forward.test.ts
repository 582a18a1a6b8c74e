// The providers reaching an in-cluster InfluxDB through a port-forward of their own (kubernetes-forward.ts), through
// the real dynamic-provider host, against a fake Kubernetes API server that speaks the kubelet's port-forward protocol
// to the InfluxDB stand-in, or to influxd in the real-server suite (test/harness/fake-kube-api.ts). `pulumi up` on Kubernetes needs no `kubectl port-forward`.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Bucket } from "../../dynamic-providers/bucket";
import { kubernetesAccessProblems } from "../../dynamic-providers/common";
import { isKubeconfigContents, readyPod } from "../../dynamic-providers/kubernetes-forward";
import {
    captureDynamicResources,
    CheckFailedError,
    Engine,
    ProviderHost,
    Props,
    UNKNOWN,
} from "../harness/provider-host";
import { startTestTarget, TestTarget } from "../harness/influx-standin";
import { generate } from "selfsigned";
import { FakeKubeApi, FakePod } from "../harness/fake-kube-api";

const TYPE = "pulumi-nodejs:dynamic/influxdb:";
const urnOf = (name: string) => `urn:pulumi:test::flagsmith-influxdb::${TYPE}Bucket::${name}`;
const NAMESPACE = "influxdb-test";
const SELECTOR = "app.kubernetes.io/name=influxdb,app.kubernetes.io/instance=influxdb";
const LABELS = { "app.kubernetes.io/name": "influxdb", "app.kubernetes.io/instance": "influxdb" };

describe("the providers' own port-forward to an in-cluster InfluxDB", function () {
    this.timeout(120_000);
    let host: ProviderHost;
    let target: TestTarget;
    let api: FakeKubeApi;
    let pod: FakePod;
    let base: Props;
    let orgId: string;
    let token: string;

    /** How many buckets of that name the server has, asked directly (not through the forward). */
    const bucketsNamed = async (name: string): Promise<number> => {
        const res = await fetch(`${target.url}/api/v2/buckets?orgID=${orgId}&name=${encodeURIComponent(name)}`, {
            headers: { authorization: `Token ${token}` },
        });
        // A name filter that matches nothing is 404 "bucket not found" on InfluxDB 2.7.
        return res.status === 404 ? 0 : ((await res.json()) as { buckets: unknown[] }).buckets.length;
    };
    /** Bucket inputs whose connection goes through the fake cluster with `kubernetes` (overrides merged). */
    const bucket = (name: string, kubernetes: Record<string, unknown> = {}, timeouts: Record<string, number> = {}) => ({
        ...base,
        name,
        connection: {
            url: "http://influxdb.influxdb-test.svc.cluster.local:8086",
            token,
            ...timeouts,
            kubernetes: {
                kubeconfig: api.kubeconfig(),
                namespace: NAMESPACE,
                podSelector: SELECTOR,
                port: 8086,
                ...kubernetes,
            },
        },
    });

    before(async () => {
        target = await startTestTarget();
        orgId = target.orgId;
        token = target.token;
        const u = new URL(target.url);
        pod = { name: "influxdb-0", labels: LABELS, ready: true };
        api = await FakeKubeApi.start({
            namespace: NAMESPACE,
            pods: [{ name: "other-0", labels: { "app.kubernetes.io/name": "postgres" }, ready: true }, pod],
            target: { host: u.hostname, port: Number(u.port) },
            token: "kube-token",
        });
        const connection = { url: target.url, token: pulumi.secret(target.token) };
        const [captured] = await captureDynamicResources(() => {
            new Bucket("b", { connection, orgId: target.orgId, name: "x" });
        });
        base = captured.inputs;
        host = await ProviderHost.start();
    });
    beforeEach(() => {
        pod.ready = true;
        api.requests.length = 0;
    });
    after(async () => {
        await host?.stop();
        await api?.stop();
        await target?.stop();
    });

    it("creates, refreshes and deletes a bucket through the Kubernetes API, with the kubeconfig given", async function () {
        const engine = new Engine(host);
        const urn = urnOf("through-cluster");
        const { state } = await engine.up(urn, bucket("through-cluster"));
        assert.strictEqual(await bucketsNamed("through-cluster"), 1);
        assert.strictEqual(state.outputs.orgId, orgId);
        // The pod is found by the chart's labels (not the other pod), and every call went through a port-forward.
        assert.ok(api.requests.includes(`GET /api/v1/namespaces/${NAMESPACE}/pods`), api.requests.join("\n"));
        assert.ok(api.requests.includes("PORTFORWARD influxdb-0:8086"), api.requests.join("\n"));
        assert.ok(!api.requests.some((r) => r.includes("other-0")));
        assert.ok((await engine.refresh(urn)) !== undefined);
        await engine.destroy(urn);
        assert.strictEqual(await bucketsNamed("through-cluster"), 0);
    });

    it("a preview (Check and Diff) makes no call to the Kubernetes API", async function () {
        const engine = new Engine(host);
        const urn = urnOf("preview-cluster");
        await engine.up(urn, bucket("preview-cluster"));
        api.requests.length = 0;
        assert.strictEqual(await engine.preview(urn, bucket("preview-cluster")), "same");
        assert.strictEqual(await engine.preview(urnOf("new-cluster"), bucket("new-cluster")), "create");
        // Another kubeconfig or context reaching the same pod is not a change of the bucket.
        assert.strictEqual(await engine.preview(urn, bucket("preview-cluster", { context: "fake" })), "same");
        assert.deepStrictEqual(api.requests, []);
        await engine.destroy(urn);
    });

    it("waits for the InfluxDB pod to become ready, like for a server still starting", async function () {
        const engine = new Engine(host);
        pod.ready = false;
        const ready = setTimeout(() => (pod.ready = true), 1500);
        try {
            // A kubeconfig of its own: a fresh forward, not a connection kept alive from an earlier test.
            await engine.up(
                urnOf("waits"),
                bucket("waits", { kubeconfig: api.kubeconfig("waits") }, { readyTimeoutSeconds: 30 }),
            );
        } finally {
            clearTimeout(ready);
        }
        assert.strictEqual(await bucketsNamed("waits"), 1);
        // It asked for the pod until one was ready.
        assert.ok(api.requests.filter((r) => r.endsWith("/pods")).length > 1, api.requests.join("\n"));
        await engine.destroy(urnOf("waits"));
    });

    it("fails naming the namespace and labels when no pod becomes ready", async function () {
        const engine = new Engine(host);
        pod.ready = false;
        await assert.rejects(
            engine.up(
                urnOf("never"),
                bucket(
                    "never",
                    { kubeconfig: api.kubeconfig("never") },
                    { readyTimeoutSeconds: 2, operationTimeoutSeconds: 2 },
                ),
            ),
            new RegExp(
                `HTTP 503 unavailable: port-forward: no ready InfluxDB pod in namespace ${NAMESPACE} with labels ${SELECTOR}`,
            ),
        );
    });

    it("says at once when the Kubernetes API refuses the kubeconfig's credentials", async function () {
        const engine = new Engine(host);
        const started = Date.now();
        await assert.rejects(
            engine.up(urnOf("refused"), bucket("refused", { kubeconfig: api.kubeconfig("refused", "wrong-token") })),
            /port-forward: the Kubernetes API refused to list pods in namespace influxdb-test \(HTTP 401\): the kubeconfig's user needs get and list on pods and create on pods\/portforward there/,
        );
        assert.ok(Date.now() - started < 10_000, "not retried for the readiness budget");
    });

    it("says which kubeconfig context is wrong, and what to set instead", async function () {
        const engine = new Engine(host);
        await assert.rejects(
            engine.up(urnOf("bad-context"), bucket("bad-context", { context: "no-such-context" })),
            /cannot open a port-forward to InfluxDB in namespace influxdb-test through the Kubernetes API \(kubeconfig from kubernetes:kubeconfig, context no-such-context\).*influxdb\.managementUrl/,
        );
    });

    it("refuses a malformed kubernetes target in Check, before any request", async function () {
        const engine = new Engine(host);
        const err = await engine
            .up(urnOf("malformed"), bucket("malformed", { namespace: "", port: 0 }))
            .catch((e: unknown) => e);
        assert.ok(err instanceof CheckFailedError);
        assert.deepStrictEqual(
            err.failures.map((f) => f.reason),
            [
                "connection.kubernetes.namespace must be a non-empty string",
                "connection.kubernetes.port must be a TCP port (1-65535)",
            ],
        );
        assert.deepStrictEqual(api.requests, []);
        // Unknown in a preview: fine.
        assert.strictEqual(
            await engine.preview(urnOf("unknown"), { ...bucket("unknown"), connection: UNKNOWN }),
            "create",
        );
    });
});

describe("the providers' own port-forward through a TLS API server, trusting the kubeconfig's CA", function () {
    this.timeout(120_000);

    it("creates and deletes a bucket over https/wss; a kubeconfig with another CA is refused", async function () {
        const target = await startTestTarget();
        const host = await ProviderHost.start();
        const cert = await generate([{ name: "commonName", value: "fake-kube-api" }], {
            keySize: 2048,
            extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
        });
        const other = await generate([{ name: "commonName", value: "someone-else" }], { keySize: 2048 });
        const u = new URL(target.url);
        const api = await FakeKubeApi.start({
            namespace: NAMESPACE,
            pods: [{ name: "influxdb-0", labels: LABELS, ready: true }],
            target: { host: u.hostname, port: Number(u.port) },
            token: "kube-token",
            tls: { key: cert.private, cert: cert.cert },
        });
        try {
            const [captured] = await captureDynamicResources(() => {
                new Bucket("b", {
                    connection: { url: target.url, token: pulumi.secret(target.token) },
                    orgId: target.orgId,
                    name: "x",
                });
            });
            const inputs = (name: string, kubeconfig: string) => ({
                ...captured.inputs,
                name,
                connection: {
                    url: "http://influxdb.influxdb-test.svc.cluster.local:8086",
                    token: target.token,
                    readyTimeoutSeconds: 3,
                    operationTimeoutSeconds: 3,
                    kubernetes: { kubeconfig, namespace: NAMESPACE, podSelector: SELECTOR, port: 8086 },
                },
            });
            const engine = new Engine(host);
            const urn = urnOf("over-tls");
            await engine.up(urn, inputs("over-tls", api.kubeconfig("tls")));
            assert.ok(api.requests.includes("PORTFORWARD influxdb-0:8086"), api.requests.join("\n"));
            await engine.destroy(urn);
            const untrusted = api
                .kubeconfig("untrusted")
                .replace(Buffer.from(cert.cert).toString("base64"), Buffer.from(other.cert).toString("base64"));
            await assert.rejects(
                engine.up(urnOf("untrusted"), inputs("untrusted", untrusted)),
                /cannot list InfluxDB's pods through the Kubernetes API: .*(certificate|self.signed|verify)/i,
            );
        } finally {
            await api.stop();
            await host.stop();
            await target.stop();
        }
    });
});

describe("kubernetes-forward: pure rules", function () {
    it("takes the first Running and Ready pod that is not being deleted", function () {
        const pod = (name: string, phase: string, ready: string, deleting = false) => ({
            metadata: { name, ...(deleting ? { deletionTimestamp: "2026-11-30T00:00:00Z" } : {}) },
            status: { phase, conditions: [{ type: "Ready", status: ready }] },
        });
        assert.strictEqual(
            readyPod({
                items: [pod("a", "Pending", "False"), pod("b", "Running", "True", true), pod("c", "Running", "True")],
            }),
            "c",
        );
        assert.strictEqual(readyPod({ items: [pod("a", "Running", "False")] }), undefined);
        assert.strictEqual(readyPod({}), undefined);
    });

    it("tells a kubeconfig's contents from its path, like kubernetes:kubeconfig", function () {
        assert.ok(isKubeconfigContents("apiVersion: v1\nkind: Config\n"));
        assert.ok(isKubeconfigContents('{"apiVersion":"v1"}'));
        assert.ok(!isKubeconfigContents("/home/me/.kube/config"));
        assert.ok(!isKubeconfigContents("~/.kube/other"));
    });

    it("accepts a complete target and none at all", function () {
        assert.deepStrictEqual(kubernetesAccessProblems(undefined), []);
        assert.deepStrictEqual(kubernetesAccessProblems({ namespace: "n", podSelector: "a=b", port: 8086 }), []);
        assert.deepStrictEqual(kubernetesAccessProblems("x"), ["connection.kubernetes must be an object"]);
    });
});
