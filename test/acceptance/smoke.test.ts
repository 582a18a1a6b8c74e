import * as assert from "assert";
describe("toolchain", () => {
    it("runs on Node 22 or newer", () => {
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(major >= 22, `tests must run on Node >= 22, got ${process.versions.node}`);
    });
});
