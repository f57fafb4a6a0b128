/**
 * The delivery core against every kind of target: the same scenarios (a wave, two sources on one
 * address, expiry without an unban, batching, drift repaired by a reconcile) run against Sophos
 * on the emulator over HTTPS in both layouts, against the Sophos dry run, and against the toy
 * file target. Each fixture says what its firewall enforces, read from the firewall itself (the
 * emulator's store, the file), never from the journal, except for the dry run, which has no
 * firewall: there the journal's belief and the printed requests are all there is.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Session } from "../../src/action/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import { deliverPending } from "../../src/delivery/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { desiredTargets, Journal, type JournalRecord } from "../../src/journal/index.ts";
import { createTarget } from "../../src/targets/registry.ts";
import type { Target } from "../../src/targets/target.ts";
import { coverage, layoutConfig } from "../layouts/helpers.ts";
import { startFirewall, tempDir } from "../support/harness.ts";

interface Fixture {
  target: Target;
  journal: Journal;
  /** What the firewall enforces now, as canonical addresses. */
  enforced(): Set<string>;
  close(): void;
}

interface Kind {
  name: string;
  make(dir: string): Promise<Fixture>;
}

let emu: RunningEmulator;
const dirs = tempDir("f2b-core");
let n = 0;
const freshDir = () => join(dirs.dir, `t${n++}`);

function sophos(layout: "hosts" | "iplist"): Kind {
  return {
    name: `sophos (${layout} layout, emulator over HTTPS)`,
    async make(dir) {
      await emu.reset();
      const config = await layoutConfig(dir, emu, { layout, iplist_shard_size: 3 });
      const session = new Session({ config, budgetMs: 60_000 });
      session.journal.ensureDirectory();
      await session.target.ensureGroups({ create: true });
      return {
        target: session.target,
        journal: session.journal,
        enforced: () => coverage(emu.snapshot()).blocked,
        close: () => session.close(),
      };
    },
  };
}

const dryRun: Kind = {
  name: "sophos dry run",
  async make(dir) {
    const config = await layoutConfig(dir, emu, {});
    const printed: string[] = [];
    const before = emu.counters.requests;
    const target = createTarget("dry-run", {
      config,
      deadline: Date.now() + 60_000,
      print: (t) => printed.push(t),
    });
    const journal = new Journal(config.stateDir);
    journal.ensureDirectory();
    return {
      target,
      journal,
      enforced: () => {
        assert.equal(emu.counters.requests, before, "a dry run sends nothing");
        if (printed.length > 0) assert.match(printed.join("\n"), /<Request/);
        return new Set(journal.load().state.applied.keys());
      },
      close: () => target.close(),
    };
  },
};

const file: Kind = {
  name: "file (the walkthrough's toy target)",
  async make(dir) {
    const config = await layoutConfig(dir, emu, {});
    const target = createTarget("file", { config, deadline: Date.now() + 60_000 });
    const journal = new Journal(config.stateDir);
    journal.ensureDirectory();
    const read = () => {
      try {
        return readFileSync(target.path, "utf8");
      } catch {
        return "";
      }
    };
    return {
      target,
      journal,
      enforced: () => new Set(read().split("\n").filter(Boolean)),
      close: () => target.close(),
    };
  },
};

const KINDS: Kind[] = [sophos("hosts"), sophos("iplist"), dryRun, file];

const at = () => Date.now();
function hold(
  target: string,
  reason = "sshd",
  source?: string,
  expiresAt: number | null = null,
): JournalRecord {
  const parsed = parseBanTarget(target);
  return {
    t: "ban",
    at: at(),
    ...(source ? { source } : {}),
    jail: reason,
    target: parsed.canonical,
    family: parsed.family,
    expiresAt,
  };
}

function deliver(f: Fixture, batchSize = 100) {
  return deliverPending({ target: f.target, journal: f.journal, batchSize, deadline: Date.now() + 60_000 });
}

function desired(f: Fixture): string[] {
  return [...desiredTargets(f.journal.load().state, Date.now() / 1000).keys()].sort();
}

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

for (const kind of KINDS) {
  describe(`delivery core → ${kind.name}`, () => {
    it("a wave of bans and unbans ends with exactly the desired addresses enforced", async () => {
      const f = await kind.make(freshDir());
      try {
        const wave = [
          "192.0.2.1",
          "192.0.2.2",
          "192.0.2.3",
          "2001:db8::1",
          "198.51.100.0/24",
          "2001:db8:1::/48",
        ];
        f.journal.append(wave.map((t) => hold(t)));
        f.journal.append([{ t: "unban", at: at(), jail: "sshd", target: "192.0.2.2" }]);
        const report = await deliver(f);
        assert.equal(report.error, undefined, report.error?.toLine());
        assert.equal(report.pending, 0);
        assert.deepEqual([...f.enforced()].sort(), desired(f));
        assert.equal(desired(f).length, 5);
      } finally {
        f.close();
      }
    });

    it("two sources on one address: it stays until both release it", async () => {
      const f = await kind.make(freshDir());
      try {
        f.journal.append([hold("203.0.113.9", "sshd"), hold("203.0.113.9", "cscli", "crowdsec")]);
        await deliver(f);
        f.journal.append([{ t: "flush", at: at() }]);
        assert.equal((await deliver(f)).error, undefined);
        assert.ok(f.enforced().has("203.0.113.9"), "a Fail2ban flush leaves the other source's hold");
        f.journal.append([
          { t: "unban", at: at(), source: "crowdsec", jail: "cscli", target: "203.0.113.9" },
        ]);
        assert.equal((await deliver(f)).error, undefined);
        assert.ok(!f.enforced().has("203.0.113.9"));
      } finally {
        f.close();
      }
    });

    it("an expired hold is removed without any unban", async () => {
      const f = await kind.make(freshDir());
      try {
        const soon = Date.now() / 1000 + 1;
        f.journal.append([hold("192.0.2.50", "sshd", undefined, soon), hold("192.0.2.51")]);
        await deliver(f);
        assert.ok(f.enforced().has("192.0.2.50"));
        // Wait on the event itself: the moment the hold's end has passed.
        while (Date.now() / 1000 <= soon) await new Promise((r) => setTimeout(r, 25));
        assert.equal((await deliver(f)).error, undefined);
        assert.deepEqual([...f.enforced()].sort(), ["192.0.2.51"]);
      } finally {
        f.close();
      }
    });

    it("per-object changes go in rounds of the batch size; bulk changes in one round", async () => {
      const f = await kind.make(freshDir());
      try {
        const targets = ["192.0.2.101", "192.0.2.102", "192.0.2.103", "192.0.2.104", "192.0.2.105"];
        f.journal.append(targets.map((t) => hold(t)));
        const report = await deliver(f, 2);
        assert.equal(report.error, undefined);
        assert.equal(report.rounds, targets.every((t) => f.target.bulk(t)) ? 1 : 3);
        assert.deepEqual([...f.enforced()].sort(), targets);
      } finally {
        f.close();
      }
    });

    it("a reconcile repairs a wrong belief (the journal thinks an address is there)", async () => {
      const f = await kind.make(freshDir());
      try {
        // A network: a per-object change in every layout, so no layout check notices the lie
        // (a single address in the iplist layout would make the delivery re-read its shards).
        const network = "198.51.100.0/24";
        f.journal.append([hold(network)]);
        // Believed applied, never written: ordinary delivery has nothing to do.
        f.journal.append([{ t: "applied", at: at(), present: [network], absent: [] }]);
        assert.equal((await deliver(f)).pending, 0);
        const { plan, result } = await f.target.reconcile({ journal: f.journal });
        assert.deepEqual(plan.add, [network]);
        assert.equal(result.failures.length, 0);
        assert.ok(f.enforced().has(network));
      } finally {
        f.close();
      }
    });
  });
}
