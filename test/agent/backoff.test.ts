/** The retry timing (exponential with jitter, capped; the breaker) and the agent's tuning from the environment. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff, DEFAULT_BACKOFF } from "../../src/agent/index.ts";
import { agentTuningFromEnv } from "../../src/agent/tuning.ts";
import { UsageError } from "../../src/errors/base.ts";

test("backoff doubles with jitter between half and all of the ceiling, capped", () => {
  for (const random of [0, 0.5, 0.999]) {
    const backoff = new Backoff({
      baseMs: 100,
      maxMs: 1000,
      breakerThreshold: 100,
      breakerCooldownMs: 5000,
      random: () => random,
    });
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    for (const ceiling of ceilings) {
      const { delayMs, opened } = backoff.failure();
      assert.equal(opened, false);
      assert.ok(
        delayMs >= ceiling / 2 && delayMs <= ceiling,
        `${delayMs} outside [${ceiling / 2}, ${ceiling}]`,
      );
    }
  }
});

test("the circuit opens once at the threshold, waits the cooldown, and a success closes it", () => {
  const backoff = new Backoff({ ...DEFAULT_BACKOFF, breakerThreshold: 3, breakerCooldownMs: 9000 });
  assert.equal(backoff.failure().opened, false);
  assert.equal(backoff.failure().opened, false);
  assert.deepEqual(backoff.failure(), { delayMs: 9000, opened: true });
  assert.deepEqual(backoff.failure(), { delayMs: 9000, opened: false });
  assert.equal(backoff.circuitOpen, true);
  assert.equal(backoff.success(), true);
  assert.equal(backoff.circuitOpen, false);
  assert.equal(backoff.success(), false);
});

test("the agent's tuning comes from F2B_SOPHOSXG_AGENT_* and refuses nonsense", () => {
  assert.deepEqual(agentTuningFromEnv({}), { timing: {}, backoff: DEFAULT_BACKOFF });
  const tuned = agentTuningFromEnv({
    F2B_SOPHOSXG_AGENT_QUIET_MS: "50",
    F2B_SOPHOSXG_AGENT_MAX_DELAY_MS: "2000",
    F2B_SOPHOSXG_AGENT_RECONCILE_MS: "60000",
    F2B_SOPHOSXG_AGENT_BREAKER_THRESHOLD: "3",
  });
  assert.deepEqual(tuned.timing, { quietMs: 50, maxDelayMs: 2000, reconcileEveryMs: 60_000 });
  assert.equal(tuned.backoff.breakerThreshold, 3);
  assert.throws(() => agentTuningFromEnv({ F2B_SOPHOSXG_AGENT_QUIET_MS: "soon" }), UsageError);
  assert.throws(() => agentTuningFromEnv({ F2B_SOPHOSXG_AGENT_BREAKER_THRESHOLD: "0" }), UsageError);
});
