// The real providers, serialized under mocks, driven through the real dynamic-provider host against the InfluxDB
// stand-in (or a real InfluxDB 2 when INFLUXDB_TEST_URL / INFLUXDB_TEST_TOKEN are set).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Authorization } from "../../dynamic-providers/authorization";
import { Bucket } from "../../dynamic-providers/bucket";
import { LISTING_REUSE_MS } from "../../dynamic-providers/listings";
import { Organization } from "../../dynamic-providers/organization";
import { Task } from "../../dynamic-providers/task";
import {
    captureDynamicResources,
    CheckFailedError,
    Engine,
    ProviderHost,
    Props,
    UNKNOWN,
} from "../harness/provider-host";
import { InfluxStandIn, startTestTarget, TestTarget } from "../harness/influx-standin";

const TYPE = "pulumi-nodejs:dynamic/influxdb:";
let seq = 0;
/** Names unique per run, so the suite can also run against a long-lived real server. */
const unique = (base: string) => `${base}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
const urnOf = (type: string, name: string) => `urn:pulumi:test::flagsmith-influxdb::${TYPE}${type}::${name}`;
const flux = (name: string, every = "1h", src = "src", dst = "dst") =>
    `option task = {name: "${name}", every: ${every}}\n\nfrom(bucket: "${src}")\n    |> range(start: -task.every)\n    |> to(bucket: "${dst}")\n`;

describe("providers through the host against InfluxDB", function () {
    this.timeout(120_000);
    let target: TestTarget;
    let standIn: InfluxStandIn | undefined;
    let host: ProviderHost;
    let engine: Engine;
    /** Serialized inputs per type, as the engine receives them; tests vary the plain fields. */
    const base: Record<string, Props> = {};
    const inputs = (type: string, fields: Props): Props => ({ ...base[type], ...fields });
    const needStandIn = function (this: Mocha.Context) {
        if (!standIn) this.skip();
    };
    const count = (route: string) => standIn?.requestCounts()[route] ?? 0;

    before(async function () {
        target = await startTestTarget();
        standIn = target.standIn;
        const connection = { url: target.url, token: pulumi.secret(target.token), operationTimeoutSeconds: 30 };
        const captured = await captureDynamicResources(() => {
            new Bucket("b", { connection, orgId: target.orgId, name: "x" });
            new Task("t", { connection, orgId: target.orgId, flux: flux("x") });
            new Authorization("a", {
                connection,
                orgId: target.orgId,
                description: "x",
                permissions: [{ action: "read", resource: { type: "buckets" } }],
            });
            new Organization("o", { connection, name: target.orgName });
        });
        for (const c of captured) {
            base[c.type.slice(TYPE.length)] = c.inputs;
        }
        host = await ProviderHost.start();
    });
    beforeEach(() => {
        engine = new Engine(host);
        standIn?.resetCounts();
    });
    afterEach(() => standIn?.assertNoContractViolations());
    after(async () => {
        await host?.stop();
        await target?.stop();
    });

    it("a preview with unknown inputs (Check and Diff only) makes zero requests to InfluxDB", async function () {
        const unknownConnection = { url: UNKNOWN, token: UNKNOWN };
        for (const type of ["Bucket", "Task", "Authorization", "Organization"]) {
            const planned = await engine.preview(urnOf(type, `preview-${type}`), {
                ...inputs(type, type === "Task" ? { flux: UNKNOWN } : {}),
                connection: unknownConnection,
                ...(type === "Organization" ? {} : { orgId: UNKNOWN }),
            });
            assert.strictEqual(planned, "create", type);
        }
        assert.deepStrictEqual(standIn?.requestCounts() ?? {}, {});
        // And a no-op preview of an existing resource.
        const name = unique("preview");
        const urn = urnOf("Bucket", name);
        await engine.up(urn, inputs("Bucket", { name }));
        standIn?.resetCounts();
        assert.strictEqual(await engine.preview(urn, inputs("Bucket", { name })), "same");
        assert.strictEqual(await engine.preview(urn, inputs("Bucket", { name, description: UNKNOWN })), "update");
        assert.deepStrictEqual(standIn?.requestCounts() ?? {}, {});
        assert.ok(!engine.log.some((c) => c.method === "Update" || (c.method === "Create" && c.urn !== urn)));
        await engine.destroy(urn);
    });

    describe("Organization", function () {
        it("resolves the organization name to its ID", async function () {
            const { state } = await engine.up(urnOf("Organization", "o"), inputs("Organization", {}));
            assert.strictEqual(state.id, target.orgId);
            assert.strictEqual(state.outputs.orgId, target.orgId);
        });
        it("fails with the setting to fix when the organization does not exist", async function () {
            await assert.rejects(
                engine.up(urnOf("Organization", "missing"), inputs("Organization", { name: "no-such-org" })),
                /organization "no-such-org" not found .*check the org setting/,
            );
        });
    });

    describe("Bucket", function () {
        it("creates with one request, fills the shard-group duration, then a no-op up changes nothing", async function () {
            const name = unique("raw");
            const urn = urnOf("Bucket", name);
            const { op, state } = await engine.up(urn, inputs("Bucket", { name, retentionSeconds: 7200 }));
            assert.strictEqual(op, "create");
            assert.match(state.id, /^[0-9a-f]{16}$/);
            assert.strictEqual(state.outputs.bucketId, state.id);
            assert.strictEqual(state.outputs.retentionSeconds, 7200);
            assert.strictEqual(state.outputs.shardGroupDurationSeconds, 3600);
            if (standIn) {
                assert.strictEqual(count("POST /api/v2/buckets"), 1);
                assert.strictEqual(standIn.buckets().filter((b) => b.name === name).length, 1);
            }
            standIn?.resetCounts();
            assert.strictEqual((await engine.up(urn, inputs("Bucket", { name, retentionSeconds: 7200 }))).op, "same");
            // A @pulumi/pulumi upgrade changes the serialized provider: still no diff.
            const upgraded = {
                ...inputs("Bucket", { name, retentionSeconds: 7200 }),
                __provider: `${base.Bucket.__provider}\n// upgraded`,
            };
            assert.strictEqual(await engine.preview(urn, upgraded), "same");
            if (standIn) assert.deepStrictEqual(standIn.requestCounts(), {});
            await engine.destroy(urn);
        });

        it("updates retention, description and name in place, sending everySeconds with the shard-group duration", async function () {
            const name = unique("upd");
            const urn = urnOf("Bucket", name);
            const first = await engine.up(urn, inputs("Bucket", { name }));
            const renamed = unique("renamed");
            const next = await engine.up(
                urn,
                inputs("Bucket", {
                    name: renamed,
                    retentionSeconds: 86400,
                    shardGroupDurationSeconds: 3600,
                    description: "d",
                }),
            );
            assert.strictEqual(next.op, "update");
            assert.strictEqual(next.state.id, first.state.id);
            assert.strictEqual(next.state.outputs.name, renamed);
            assert.strictEqual(next.state.outputs.retentionSeconds, 86400);
            assert.strictEqual(next.state.outputs.shardGroupDurationSeconds, 3600);
            if (standIn) {
                const b = standIn.buckets().find((x) => x.id === first.state.id)!;
                assert.deepStrictEqual(
                    [b.name, b.retentionSeconds, b.shardGroupDurationSeconds, b.description],
                    [renamed, 86400, 3600, "d"],
                );
            }
            await engine.destroy(urn);
        });

        it("replaces the bucket when the organization changes", async function () {
            const diff = await host.diff(
                "0000000000000001",
                urnOf("Bucket", "r"),
                {
                    ...inputs("Bucket", { name: "r", retentionSeconds: 0, description: "", adopt: false }),
                    bucketId: "0000000000000001",
                },
                inputs("Bucket", {
                    name: "r",
                    orgId: "fedcba9876543210",
                    retentionSeconds: 0,
                    description: "",
                    adopt: false,
                }),
            );
            assert.deepStrictEqual([diff.changes, diff.replaces], ["DIFF_SOME", ["orgId"]]);
        });

        it("fails on a name conflict with a message that says how to adopt, and adopts when asked", async function () {
            const name = unique("taken");
            const first = await engine.up(urnOf("Bucket", `${name}-a`), inputs("Bucket", { name }));
            await assert.rejects(
                engine.up(urnOf("Bucket", `${name}-b`), inputs("Bucket", { name })),
                /already exists .*Set adopt: true/,
            );
            const adopted = await engine.up(
                urnOf("Bucket", `${name}-c`),
                inputs("Bucket", { name, adopt: true, retentionSeconds: 7200 }),
            );
            assert.strictEqual(adopted.state.id, first.state.id);
            assert.strictEqual(adopted.state.outputs.retentionSeconds, 7200);
            if (standIn) assert.strictEqual(standIn.buckets().filter((b) => b.name === name).length, 1);
            await engine.destroy(urnOf("Bucket", `${name}-c`));
        });

        it("an adopted bucket keeps its own retention when asked, until the stack sets one", async function () {
            const name = unique("kept");
            const first = await engine.up(urnOf("Bucket", `${name}-manual`), inputs("Bucket", { name }));
            const urn = urnOf("Bucket", `${name}-adopted`);
            const asked = { name, adopt: true, keepRetentionOnAdopt: true, retentionSeconds: 14 * 86400 };
            const adopted = await engine.up(urn, inputs("Bucket", asked));
            assert.strictEqual(adopted.state.id, first.state.id);
            assert.strictEqual(adopted.state.outputs.retentionSeconds, 0, "the manual bucket stays infinite");
            assert.strictEqual((await engine.up(urn, inputs("Bucket", asked))).op, "same", "no perpetual diff");
            const set = await engine.up(urn, inputs("Bucket", { ...asked, keepRetentionOnAdopt: false }));
            assert.strictEqual(set.op, "update");
            assert.strictEqual(set.state.outputs.retentionSeconds, 14 * 86400, "the stack's retention, once set");
            await engine.destroy(urn);
        });

        it("is reported gone after an outside delete, recreated by the next up, and deleting twice is fine", async function () {
            needStandIn.call(this);
            const name = unique("drift");
            const urn = urnOf("Bucket", name);
            const { state } = await engine.up(urn, inputs("Bucket", { name }));
            standIn!.outOfBand.deleteBucket(state.id);
            assert.strictEqual(await engine.refresh(urn), undefined);
            const again = await engine.up(urn, inputs("Bucket", { name }));
            assert.strictEqual(again.op, "create");
            assert.notStrictEqual(again.state.id, state.id);
            await host.delete(state.id, urn, state.outputs);
            await engine.destroy(urn);
            await host.delete(again.state.id, urn, again.state.outputs);
            assert.strictEqual(standIn!.buckets().filter((b) => b.name === name).length, 0);
        });

        it("refresh shows a retention changed outside Pulumi, and the next up puts it back", async function () {
            needStandIn.call(this);
            const name = unique("edited");
            const urn = urnOf("Bucket", name);
            const { state } = await engine.up(urn, inputs("Bucket", { name, retentionSeconds: 7200 }));
            standIn!.outOfBand.updateBucket(state.id, { retentionSeconds: 3600 });
            assert.strictEqual((await engine.refresh(urn))!.outputs.retentionSeconds, 3600);
            assert.strictEqual((await engine.up(urn, inputs("Bucket", { name, retentionSeconds: 7200 }))).op, "update");
            assert.strictEqual(standIn!.buckets().find((b) => b.id === state.id)!.retentionSeconds, 7200);
            await engine.destroy(urn);
        });

        it("does not create a duplicate when the create answer is lost after the server applied it", async function () {
            needStandIn.call(this);
            const name = unique("lost");
            standIn!.dropResponseAfterApply("POST /api/v2/buckets");
            const { state } = await engine.up(urnOf("Bucket", name), inputs("Bucket", { name }));
            const matching = standIn!.buckets().filter((b) => b.name === name);
            assert.strictEqual(matching.length, 1);
            assert.strictEqual(state.id, matching[0].id);
            await engine.destroy(urnOf("Bucket", name));
        });
    });

    describe("Task", function () {
        it("creates the task with the flux stored byte-identical and exposes the header fields", async function () {
            const name = unique("task");
            const script = flux(name, "15m").replace("every: 15m", "every: 15m, offset: 1m");
            const urn = urnOf("Task", name);
            const { state } = await engine.up(urn, inputs("Task", { flux: script }));
            assert.strictEqual(state.outputs.flux, script);
            assert.deepStrictEqual(
                [state.outputs.taskName, state.outputs.every, state.outputs.offset, state.outputs.status],
                [name, "15m", "1m", "active"],
            );
            if (standIn) {
                assert.strictEqual(standIn.tasks().find((t) => t.id === state.id)!.flux, script);
                assert.strictEqual(count("POST /api/v2/tasks"), 1);
            }
            assert.strictEqual((await engine.up(urn, inputs("Task", { flux: script }))).op, "same");
            await engine.destroy(urn);
        });

        it("updates flux, status and description in place, keeping the flux byte-identical", async function () {
            const name = unique("task-upd");
            const urn = urnOf("Task", name);
            const first = await engine.up(urn, inputs("Task", { flux: flux(name) }));
            const changed = flux(name, "2h").replace("range(start: -task.every)", "range(start: -2h)");
            const next = await engine.up(
                urn,
                inputs("Task", { flux: changed, status: "inactive", description: "off" }),
            );
            assert.strictEqual(next.op, "update");
            assert.strictEqual(next.state.id, first.state.id);
            assert.deepStrictEqual(
                [
                    next.state.outputs.flux,
                    next.state.outputs.every,
                    next.state.outputs.status,
                    next.state.outputs.description,
                ],
                [changed, "2h", "inactive", "off"],
            );
            if (standIn) assert.strictEqual(standIn.tasks().find((t) => t.id === first.state.id)!.flux, changed);
            await engine.destroy(urn);
        });

        it("puts back a task edited in the UI, and recreates one deleted outside", async function () {
            needStandIn.call(this);
            const name = unique("task-drift");
            const urn = urnOf("Task", name);
            const script = flux(name);
            const { state } = await engine.up(urn, inputs("Task", { flux: script }));
            standIn!.outOfBand.editTaskFlux(state.id, script.replace("-task.every", "-3h"));
            const refreshed = await engine.refresh(urn);
            assert.notStrictEqual(refreshed!.outputs.flux, script);
            assert.strictEqual(await engine.preview(urn, inputs("Task", { flux: script })), "update");
            await engine.up(urn, inputs("Task", { flux: script }));
            assert.strictEqual(standIn!.tasks().find((t) => t.id === state.id)!.flux, script);
            standIn!.outOfBand.deleteTask(state.id);
            assert.strictEqual(await engine.refresh(urn), undefined);
            assert.strictEqual((await engine.up(urn, inputs("Task", { flux: script }))).op, "create");
            await engine.destroy(urn);
        });

        it("reports the last run's status and error after a refresh", async function () {
            needStandIn.call(this);
            const name = unique("task-runs");
            const urn = urnOf("Task", name);
            const { state } = await engine.up(urn, inputs("Task", { flux: flux(name) }));
            standIn!.outOfBand.recordTaskRun(state.id, { status: "failed", error: "bucket not found" });
            const refreshed = await engine.refresh(urn);
            assert.strictEqual(refreshed!.outputs.lastRunStatus, "failed");
            assert.strictEqual(refreshed!.outputs.lastRunError, "bucket not found");
            await engine.destroy(urn);
        });

        it("adopts the single task with that name, and refuses when several share it", async function () {
            needStandIn.call(this);
            const name = unique("manual");
            const existing = standIn!.outOfBand.createTask({ flux: flux(name) });
            const adopted = await engine.up(
                urnOf("Task", name),
                inputs("Task", { flux: flux(name, "2h"), adopt: true }),
            );
            assert.strictEqual(adopted.state.id, existing.id);
            assert.strictEqual(standIn!.tasks().find((t) => t.id === existing.id)!.every, "2h");
            assert.strictEqual(standIn!.tasks().filter((t) => t.name === name).length, 1);
            standIn!.outOfBand.createTask({ flux: flux(name) });
            await assert.rejects(
                engine.up(urnOf("Task", `${name}-2`), inputs("Task", { flux: flux(name), adopt: true })),
                /cannot adopt task .*2 tasks .*have that name/,
            );
        });

        it("rejects bad flux in Check before any request", async function () {
            const err = await engine
                .up(urnOf("Task", "bad"), inputs("Task", { flux: flux("bad").replace("range(", "rangee(") }))
                .catch((e: unknown) => e);
            assert.ok(err instanceof CheckFailedError);
            assert.match(err.failures[0].reason, /task "bad".*undefined identifier rangee/);
            assert.deepStrictEqual(standIn?.requestCounts() ?? {}, {});
        });
    });

    describe("Authorization", function () {
        it("creates a token that is secret in state and never shown in IDs or logs; status updates in place", async function () {
            const description = unique("flagsmith");
            const urn = urnOf("Authorization", description);
            const perms = [
                { action: "write", resource: { type: "buckets" } },
                { action: "read", resource: { type: "buckets" } },
            ];
            const { state } = await engine.up(urn, inputs("Authorization", { description, permissions: perms }), {
                additionalSecretOutputs: ["token"],
            });
            const token = state.outputs.token as string;
            assert.ok(token && token.length > 10);
            assert.ok(state.secretOutputs.includes("token"));
            assert.ok(state.secretOutputs.includes("connection"));
            assert.ok(!state.id.includes(token));
            assert.ok(!host.output().includes(token));
            assert.ok(!host.output().includes(target.token));
            const next = await engine.up(
                urn,
                inputs("Authorization", { description, permissions: perms, status: "inactive" }),
            );
            assert.strictEqual(next.op, "update");
            assert.strictEqual(next.state.outputs.token, token, "the token survives an update");
            const refreshed = await engine.refresh(urn);
            assert.strictEqual(refreshed!.outputs.token, token, "the token survives a refresh");
            assert.strictEqual(refreshed!.outputs.status, "inactive");
            await engine.destroy(urn);
        });

        it("replaces the token when permissions change, and after it was revoked outside", async function () {
            const description = unique("replace");
            const urn = urnOf("Authorization", description);
            const read = [{ action: "read", resource: { type: "buckets" } }];
            const first = await engine.up(urn, inputs("Authorization", { description, permissions: read }));
            const second = await engine.up(
                urn,
                inputs("Authorization", {
                    description,
                    permissions: [...read, { action: "write", resource: { type: "buckets" } }],
                }),
            );
            assert.strictEqual(second.op, "replace");
            assert.notStrictEqual(second.state.outputs.token, first.state.outputs.token);
            if (standIn) {
                assert.ok(!standIn.authorizations().some((a) => a.id === first.state.id), "old token deleted");
                standIn.outOfBand.revokeAuthorization(second.state.id);
                assert.strictEqual(await engine.refresh(urn), undefined);
                const third = await engine.up(
                    urn,
                    inputs("Authorization", { description, permissions: second.state.inputs.permissions }),
                );
                assert.strictEqual(third.op, "create");
                assert.notStrictEqual(third.state.outputs.token, second.state.outputs.token);
            }
            await engine.destroy(urn);
        });

        it("does not leave a duplicate token when the create answer is lost", async function () {
            needStandIn.call(this);
            const description = unique("lost-token");
            standIn!.dropResponseAfterApply("POST /api/v2/authorizations");
            const { state } = await engine.up(
                urnOf("Authorization", description),
                inputs("Authorization", {
                    description,
                    permissions: [{ action: "read", resource: { type: "buckets" } }],
                }),
            );
            const matching = standIn!.authorizations().filter((a) => a.description === description);
            assert.strictEqual(matching.length, 1);
            assert.strictEqual(matching[0].token, state.outputs.token);
            await engine.destroy(urnOf("Authorization", description));
        });
    });
    describe("refresh", function () {
        it("reads every resource of a kind through one shared listing, reused briefly and dropped by a write", async function () {
            const names = [unique("r1"), unique("r2"), unique("r3")];
            const bucketUrns = names.map((n) => urnOf("Bucket", n));
            const taskUrns = names.map((n) => urnOf("Task", n));
            const tokenUrn = urnOf("Authorization", names[0]);
            await Promise.all([
                ...names.map((name, i) => engine.up(bucketUrns[i], inputs("Bucket", { name }))),
                ...names.map((name, i) => engine.up(taskUrns[i], inputs("Task", { flux: flux(name) }))),
                engine.up(
                    tokenUrn,
                    inputs("Authorization", {
                        description: names[0],
                        permissions: [{ action: "read", resource: { type: "buckets" } }],
                    }),
                ),
            ]);
            standIn?.resetCounts();
            const all = [...bucketUrns, ...taskUrns, tokenUrn];
            const refreshed = await Promise.all(all.map((urn) => engine.refresh(urn)));
            assert.deepStrictEqual(
                refreshed.map((r) => r?.id),
                all.map((urn) => engine.state(urn)!.id),
            );
            assert.deepStrictEqual(
                refreshed.slice(0, 3).map((r) => r!.outputs.name),
                names,
            );
            if (standIn) {
                assert.deepStrictEqual(standIn.requestCounts(), {
                    "GET /api/v2/buckets": 1,
                    "GET /api/v2/tasks": 1,
                    "GET /api/v2/authorizations": 1,
                });
                // Within the same command a read right after the listing reuses it; a write of ours drops it.
                standIn.outOfBand.updateBucket(engine.state(bucketUrns[1])!.id, { description: "outside" });
                standIn.resetCounts();
                assert.strictEqual((await engine.refresh(bucketUrns[1]))!.outputs.description, "");
                assert.deepStrictEqual(standIn.requestCounts(), {});
                await engine.up(bucketUrns[0], inputs("Bucket", { name: names[0], description: "changed" }));
                assert.strictEqual((await engine.refresh(bucketUrns[1]))!.outputs.description, "outside");
                // A bucket deleted outside Pulumi is missing from a later listing: reported gone.
                standIn.outOfBand.deleteBucket(engine.state(bucketUrns[2])!.id);
                await new Promise((resolve) => setTimeout(resolve, LISTING_REUSE_MS + 100));
                assert.strictEqual(await engine.refresh(bucketUrns[2]), undefined);
            }
            await Promise.all(all.map((urn) => engine.destroy(urn)));
        });

        it("follows the listing's pages (buckets by 100)", async function () {
            needStandIn.call(this);
            for (let i = 0; i < 130; i++) standIn!.outOfBand.createBucket({ name: unique("filler") });
            const name = unique("paged");
            const urn = urnOf("Bucket", name);
            await engine.up(urn, inputs("Bucket", { name }));
            standIn!.resetCounts();
            assert.strictEqual((await engine.refresh(urn))!.outputs.name, name);
            assert.ok(count("GET /api/v2/buckets") >= 2, JSON.stringify(standIn!.requestCounts()));
            await engine.destroy(urn);
        });
    });
});
