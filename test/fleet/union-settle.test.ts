import assert from "node:assert/strict";
import { test } from "node:test";
import { UnionSettle } from "../../src/fleet/union-settle.ts";

test("the pusher mirrors a union once its version has stood still for the quiet window", () => {
  const settle = new UnionSettle(250, 1000);
  assert.equal(settle.dueAt(), undefined, "nothing seen: nothing due");
  assert.equal(settle.ready("1", 0), false);
  assert.equal(settle.dueAt(), 250);
  assert.equal(settle.ready("2", 100), false, "a second member forwarded: the window starts again");
  assert.equal(settle.dueAt(), 350);
  assert.equal(settle.ready("2", 300), false);
  assert.equal(settle.ready("2", 350), true, "quiet for 250 ms");
  settle.reset();
  assert.equal(settle.dueAt(), undefined);
});

test("a union that keeps changing is still mirrored by the max delay after its first change", () => {
  const settle = new UnionSettle(250, 1000);
  let now = 0;
  let version = 0;
  const readyAt: number[] = [];
  for (; now <= 3000; now += 100) {
    version += 1;
    if (settle.ready(String(version), now)) {
      readyAt.push(now);
      settle.reset();
    }
  }
  assert.deepEqual(readyAt, [1000, 2100], "one mirror per max delay under a steady stream");
});
