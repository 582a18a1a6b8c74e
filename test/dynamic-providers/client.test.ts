// The one HTTP client (dynamic-providers/client.ts): its listings, in process against the stand-in (concurrent reads
// share one listing, and no read made after a write of this process is served a listing that may predate the write),
// and how it reads a Flux answer (runtime errors inside a 200, CSV rows).
import * as assert from "assert";
import type { Bucket as ApiBucket } from "@influxdata/influxdb-client-apis";
import { Connection, csvRows, fluxRuntimeError, readListed, writeApi } from "../../dynamic-providers/client";
import { InfluxStandIn } from "../harness/influx-standin";

describe("client: shared listings", function () {
    let standIn: InfluxStandIn;
    let conn: Connection;
    let orgId: string;
    const read = (id: string) =>
        readListed<ApiBucket>(conn, "buckets", orgId, id, `read bucket ${id}`, (a) =>
            a.buckets.getBucketsID({ bucketID: id }),
        );

    beforeEach(async function () {
        standIn = await InfluxStandIn.start();
        conn = { url: standIn.url, token: standIn.operatorToken!, operationTimeoutSeconds: 10 };
        orgId = standIn.orgId!;
    });
    afterEach(async function () {
        standIn.assertNoContractViolations();
        await standIn.stop();
    });

    it("serves concurrent reads of one kind and organization from one listing", async function () {
        const ids = ["a", "b", "c"].map((name) => standIn.outOfBand.createBucket({ name }).id);
        standIn.resetCounts();
        const found = await Promise.all(ids.map(read));
        assert.deepStrictEqual(
            found.map((b) => b?.name),
            ["a", "b", "c"],
        );
        assert.deepStrictEqual(standIn.requestCounts(), { "GET /api/v2/buckets": 1 });
    });

    it("takes a resource for gone only when its own read says 404, not from its absence in a listing", async function () {
        const id = standIn.outOfBand.createBucket({ name: "kept" }).id;
        standIn.resetCounts();
        assert.strictEqual(await read("0000000000000001"), undefined, "a 404 of the single read: gone");
        assert.deepStrictEqual(standIn.requestCounts(), {
            "GET /api/v2/buckets": 1,
            "GET /api/v2/buckets/{bucketID}": 1,
        });
        // An inactive token lists nothing with 200 (as InfluxDB 2.7 does); its single read answers 401.
        const token = standIn.outOfBand.createAuthorization({
            orgID: orgId,
            permissions: [{ action: "read", resource: { type: "buckets", orgID: orgId } }],
        });
        standIn.outOfBand.updateAuthorization(token.id, { status: "inactive" });
        conn = { ...conn, token: token.token };
        await assert.rejects(read(id), /HTTP 401.*token is inactive/);
    });

    it("does not serve a listing made while a write was in flight to a read after the write", async function () {
        const id = standIn.outOfBand.createBucket({ name: "slow", description: "before" }).id;
        standIn.setFaults({ stallMs: 1000 });
        standIn.injectFault("PATCH /api/v2/buckets/{bucketID}", "stall");
        const write = writeApi(conn, "update bucket", (a) =>
            a.buckets.patchBucketsID({ bucketID: id, body: { description: "after" } }),
        );
        // A listing that starts and finishes while the PATCH is held back, before it is applied.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.strictEqual((await read(id))?.description, "before");
        await write;
        assert.strictEqual((await read(id))?.description, "after");
    });
});

describe("Flux runtime errors inside a 200 answer", () => {
    it("finds the error table InfluxDB sends with Prefer: return-no-content-with-error; an empty body is success", () => {
        assert.strictEqual(fluxRuntimeError(""), undefined);
        assert.strictEqual(fluxRuntimeError("\r\n"), undefined);
        const csv =
            "#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n" +
            ',"runtime error @8:5-8:40: to: bucket ""x"" not found",\r\n\r\n';
        assert.strictEqual(fluxRuntimeError(csv), 'runtime error @8:5-8:40: to: bucket "x" not found');
        assert.strictEqual(fluxRuntimeError(",error,reference\n,failed to write,\n"), "failed to write");
    });
});

describe("Flux CSV rows", () => {
    it("keeps every column, an empty first one included, and unquotes quoted cells", () => {
        assert.deepStrictEqual(
            csvRows(",result,table,_measurement,_time\r\n,_result,0,api_call,2026-01-01T00:00:00Z\r\n\r\n"),
            [{ "": "", result: "_result", table: "0", _measurement: "api_call", _time: "2026-01-01T00:00:00Z" }],
        );
        assert.deepStrictEqual(csvRows(',error,reference\n,"a, ""b""",\n'), [
            { "": "", error: 'a, "b"', reference: "" },
        ]);
    });
});
