// The settings' validators (components/settings/validators.ts).
import * as assert from "assert";
import { parseRetention } from "../../../components/settings/validators";

describe("validators", () => {
    describe("parseRetention", () => {
        it("parses retention durations", () => {
            assert.strictEqual(parseRetention("0s", "r"), 0);
            assert.strictEqual(parseRetention("infinite", "r"), 0);
            assert.strictEqual(parseRetention("1h", "r"), 3600);
            assert.strictEqual(parseRetention("1h30m", "r"), 5400);
            assert.strictEqual(parseRetention("30d", "r"), 30 * 86400);
            assert.strictEqual(parseRetention("2w", "r"), 14 * 86400);
            assert.throws(() => parseRetention("59m", "r"), /below InfluxDB's minimum of 1h/);
            assert.throws(() => parseRetention("1x", "r"), /not a duration/);
        });
    });
});
