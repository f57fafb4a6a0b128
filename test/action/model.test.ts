/**
 * Property: random sequences of the six actions (start, stop, check, flush with and without
 * --jail/--family, ban, unban) over IPv4, IPv6 and CIDR addresses from small pools (so that the
 * same address is banned by several jails, banned twice, unbanned when not banned, spelled in
 * different ways) against an emulator seeded with foreign hosts and groups. After EVERY step:
 *
 * - each family's group holds exactly the banned set of the model, and the hosts we own are
 *   exactly those members (nothing left behind, nothing duplicated);
 * - no object outside our groups and the hosts we could have made changed (deep equality);
 * - every action reports success (check: success exactly when both groups exist).
 *
 * Model: per-jail holds; an address is banned while any jail holds it; `flush --jail J --family F`
 * releases J's holds of F; `flush` without --jail releases the holds of all jails of that family
 * (or both families without --family).
 *
 * The actions run in-process through the library (a fresh `Session` per step, as a process per
 * Fail2ban hook would build), each run with a fresh state directory and a reset emulator.
 * Reproduce a failure with the seed fast-check prints: F2B_MODEL_SEED=<seed> npm test -- action/model
 * (optionally F2B_MODEL_PATH=<path> to replay only the shrunk case). F2B_MODEL_RUNS changes the
 * number of runs (default 25).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import {
  type ActionOutcome,
  ban,
  check,
  flush,
  Session,
  start,
  stop,
  unban,
} from "../../src/action/index.ts";
import type { Config } from "../../src/config/types.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { parseBanTarget } from "../../src/fail2ban/index.ts";
import type { IpFamily } from "../../src/protocol/index.ts";
import { GROUP_V4, GROUP_V6, startFirewall, tempDir, writeConfig } from "../support/harness.ts";
import { configFrom, familyOf, foreignSeed, group, nameOf, untouchable } from "./support.ts";

/** Fixed so that a failure reproduces; override with F2B_MODEL_SEED. */
const SEED = Number(process.env.F2B_MODEL_SEED ?? 20_261_121);
const RUNS = Number(process.env.F2B_MODEL_RUNS ?? 25);
const MAX_STEPS = 25;
const BUDGET_MS = 10_000;

/** Several spellings of the same targets on purpose: mapped IPv4, IPv6 case, host bits in a CIDR. */
const POOL = [
  "192.0.2.10",
  "::ffff:192.0.2.10",
  "192.0.2.11",
  "198.51.100.0/24",
  "198.51.100.77/24",
  "2001:db8::10",
  "2001:DB8:0:0::10",
  "2001:db8:aa::/48",
  "2001:db8:1234:5678:9abc:def0:1234:5678",
] as const;
const JAILS = ["sshd", "nginx", "postfix"] as const;
const FAMILY_ARGS = { inet4: "IPv4", inet6: "IPv6" } as const satisfies Record<string, IpFamily>;

type Step =
  | { kind: "ban" | "unban"; ip: string; jail: string }
  | { kind: "flush"; jail?: string; family?: IpFamily }
  | { kind: "start" | "stop" | "check" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("ban" as const),
      ip: fc.constantFrom(...POOL),
      jail: fc.constantFrom(...JAILS),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("unban" as const),
      ip: fc.constantFrom(...POOL),
      jail: fc.constantFrom(...JAILS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        kind: fc.constant("flush" as const),
        jail: fc.constantFrom(...JAILS),
        family: fc.constantFrom(...Object.values(FAMILY_ARGS)),
      },
      { requiredKeys: ["kind"] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom("start" as const, "stop" as const, "check" as const) }),
  },
);

/** The model: jail → held canonical targets. */
class Model {
  readonly holds = new Map<string, Set<string>>(JAILS.map((j) => [j, new Set<string>()]));

  apply(step: Step): void {
    if (step.kind === "ban") this.holds.get(step.jail)!.add(parseBanTarget(step.ip).canonical);
    else if (step.kind === "unban") this.holds.get(step.jail)!.delete(parseBanTarget(step.ip).canonical);
    else if (step.kind === "flush") {
      for (const [jail, held] of this.holds) {
        if (step.jail !== undefined && jail !== step.jail) continue;
        for (const target of [...held]) {
          if (step.family === undefined || familyOf(target) === step.family) held.delete(target);
        }
      }
    }
  }

  /** Object names per family of everything some jail holds. */
  banned(): Record<IpFamily, string[]> {
    const all = new Set<string>();
    for (const held of this.holds.values()) for (const t of held) all.add(t);
    const out: Record<IpFamily, string[]> = { IPv4: [], IPv6: [] };
    for (const t of all) out[familyOf(t)].push(nameOf(t));
    out.IPv4.sort();
    out.IPv6.sort();
    return out;
  }
}

async function runStep(session: Session, step: Step): Promise<ActionOutcome> {
  switch (step.kind) {
    case "ban":
      return ban(session, { target: parseBanTarget(step.ip), jail: step.jail });
    case "unban":
      return unban(session, { target: parseBanTarget(step.ip), jail: step.jail });
    case "flush":
      return flush(session, {
        ...(step.jail !== undefined ? { jail: step.jail } : {}),
        ...(step.family !== undefined ? { family: step.family } : {}),
      });
    case "start":
      return start(session);
    case "check":
      return check(session);
    case "stop":
      return stop();
  }
}

function describe(step: Step): string {
  if (step.kind === "ban" || step.kind === "unban") return `${step.kind} ${step.ip} (${step.jail})`;
  if (step.kind === "flush") return `flush jail=${step.jail ?? "*"} family=${step.family ?? "*"}`;
  return step.kind;
}

let emu: RunningEmulator;
let base: Config;
const dirs = tempDir("f2b-model");
const ourNames = new Set(POOL.map(nameOf));

before(async () => {
  emu = await startFirewall();
  base = await configFrom(writeConfig(dirs.dir, emu));
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

test("model: after every step the groups hold exactly the banned set, foreign objects unchanged", async () => {
  let run = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: MAX_STEPS }), async (steps) => {
      run++;
      await emu.reset();
      await emu.seedForeign(10);
      await emu.seed(foreignSeed());
      const config: Config = { ...base, stateDir: join(dirs.dir, `run-${run}`) };
      const foreignBefore = untouchable(emu, (n) => ourNames.has(n));
      const model = new Model();
      const trail: string[] = [];
      for (const step of steps) {
        trail.push(describe(step));
        const where = `after: ${trail.join(" → ")}`;
        const session = new Session({ config, budgetMs: BUDGET_MS });
        let outcome: ActionOutcome;
        try {
          if (step.kind !== "check") session.journal.ensureDirectory();
          outcome = await runStep(session, step);
        } finally {
          session.close();
        }
        model.apply(step);

        const groupsExist = group(emu, GROUP_V4) !== undefined && group(emu, GROUP_V6) !== undefined;
        if (step.kind === "check" && !groupsExist) {
          assert.equal(outcome.exitCode, 1, where);
          assert.match(outcome.lines.join("\n"), /missing/, where);
        } else {
          assert.equal(outcome.exitCode, 0, `${where}: ${outcome.lines.join(" | ")}`);
        }
        // Deliveries report their errors in the line rather than the exit code: there must be none.
        assert.doesNotMatch(outcome.lines.join("\n"), /pending|failed|refused/, where);

        const expected = model.banned();
        const members = {
          IPv4: [...(group(emu, GROUP_V4)?.hosts ?? [])].sort(),
          IPv6: [...(group(emu, GROUP_V6)?.hosts ?? [])].sort(),
        };
        assert.deepEqual(members, expected, `group members ${where}`);
        const hosts = emu
          .snapshot()
          .hosts.filter((h) => ourNames.has(h.name))
          .map((h) => h.name)
          .sort();
        assert.deepEqual(hosts, [...expected.IPv4, ...expected.IPv6].sort(), `our hosts ${where}`);
        for (const name of hosts) {
          const h = emu.snapshot().hosts.find((x) => x.name === name)!;
          assert.equal(h.hostType, name.includes("/") ? "Network" : "IP", `${name} ${where}`);
        }
        assert.deepEqual(
          untouchable(emu, (n) => ourNames.has(n)),
          foreignBefore,
          `foreign objects ${where}`,
        );
      }
    }),
    {
      numRuns: RUNS,
      seed: SEED,
      ...(process.env.F2B_MODEL_PATH ? { path: process.env.F2B_MODEL_PATH } : {}),
    },
  );
  process.stderr.write(`# model: ${run} runs, ${emu.counters.requests} requests in the last run\n`);
  // Keep the property fast enough for `npm test` on 2 cores.
  assert.ok(Date.now() - started < 120_000, `the property took ${Date.now() - started} ms`);
});
