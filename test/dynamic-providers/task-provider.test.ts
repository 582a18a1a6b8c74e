// The task provider's pure check, diff and mapping functions (dynamic-providers/task-provider.ts).
import * as assert from "assert";
import { UNKNOWN } from "../../dynamic-providers/common";
import { adoptableTasks, diffTask } from "../../dynamic-providers/task-provider";

const conn = { url: "http://localhost:8086", token: "t0ken-value" };
const ORG = "0123456789abcdef";

describe("task diff", () => {
    const flux = 'option task = {name: "t", every: 1h}\nfrom(bucket: "b") |> range(start: -1h)';
    const state = {
        connection: conn,
        orgId: ORG,
        flux,
        status: "active" as const,
        description: "",
        adopt: false,
        taskId: "x",
    };
    it("updates flux, status and description in place; replaces on org change", () => {
        assert.strictEqual(diffTask(state, { ...state }).changes, false);
        for (const patch of [{ flux: flux + "\n" }, { status: "inactive" as const }, { description: "d" }]) {
            const d = diffTask(state, { ...state, ...patch });
            assert.deepStrictEqual([d.changes, d.replaces], [true, []], JSON.stringify(patch));
        }
        assert.deepStrictEqual(diffTask(state, { ...state, orgId: "fedcba9876543210" }).replaces, ["orgId"]);
        assert.strictEqual(diffTask(state, { ...state, flux: UNKNOWN }).changes, true);
    });
});

describe("task adoption: only a task on this stack's own buckets", () => {
    const flux = (raw: string, name = "Downsample API 1h") =>
        `option task = {name: "${name}", every: 1h}\n\nfrom(bucket: "${raw}")\n    |> range(start: -2h)\n` +
        `    |> aggregateWindow(fn: sum, every: 1h)\n    |> to(bucket: "${raw}_downsampled_1h")\n`;
    it("never takes over another stack's task of the same name", () => {
        const staging = { id: "1111111111111111", orgID: ORG, name: "Downsample API 1h", flux: flux("staging") };
        const mine = { id: "2222222222222222", orgID: ORG, name: "Downsample API 1h", flux: flux("default") };
        assert.deepStrictEqual(adoptableTasks([staging], flux("default")), []);
        assert.deepStrictEqual(adoptableTasks([staging, mine], flux("default")), [mine]);
    });
    it("adopts a task edited by hand as long as it uses the same buckets", () => {
        const edited = {
            id: "3333333333333333",
            orgID: ORG,
            name: "Downsample API 1h",
            flux: flux("default").replace("sum", "mean"),
        };
        assert.deepStrictEqual(adoptableTasks([edited], flux("default")), [edited]);
    });
});
