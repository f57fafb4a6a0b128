/** The one table of what the firewall's status codes mean. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { meaningOf, STATUS_TABLE } from "../../src/sophos/index.ts";

describe("status table", () => {
  it("maps success codes to ok and every code of the reference to one kind with a hint", () => {
    for (const code of [200, 202, 216, 217, 222]) assert.equal(meaningOf(code).kind, "ok");
    assert.equal(meaningOf(528).kind, "gone");
    assert.equal(meaningOf(510).kind, "in-use");
    assert.equal(meaningOf(504).kind, "in-use", "one real removal of a referenced object answered 504");
    assert.equal(meaningOf(502).kind, "exists");
    assert.equal(meaningOf(534).kind, "caller-not-allowed");
    for (const [code, meaning] of Object.entries(STATUS_TABLE)) {
      assert.ok(meaning.hint && meaning.hint.length > 10, `code ${code} has an operator hint`);
    }
  });

  it("an unknown code or a code-less text is a refusal, never ok or gone", () => {
    for (const code of [undefined, 218, 499, 599, 999]) assert.equal(meaningOf(code).kind, "refused");
  });
});
