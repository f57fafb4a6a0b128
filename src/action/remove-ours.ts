/**
 * `sync --firewall NAME --remove-ours [--dry-run]`: retire a firewall. Reads it and removes
 * every object of ours (our hosts, our IP list shards), as a reconcile against an empty desired
 * state would; the groups stay, since firewall rules use them, and nothing that is not exactly
 * ours is touched. The shared desired state is not changed: the other firewalls keep every ban.
 *
 * While an agent runs it would put the bans back at once, so it is refused then: stop the
 * agent, remove our objects, take the firewall out of the config, start the agent.
 */
import {
  type BanState,
  emptyState,
  Journal,
  type LoadedJournal,
  lockUntil,
  runningAgentPid,
} from "../journal/index.ts";
import { planReconcile, reconcile } from "../targets/sophos/index.ts";
import { type ActionOutcome, done, failed } from "./outcome.ts";
import type { Session } from "./session.ts";

const LOCK_WAIT_MS = 60_000;

function usage(line: string): ActionOutcome {
  return { exitCode: 2, lines: [line] };
}

/** The firewall's journal as if no source held anything: what a reconcile then removes is all of ours. */
class NothingDesired extends Journal {
  constructor(private readonly inner: Journal) {
    super(inner.dir, { deliveryDir: inner.deliveryDir });
  }
  override load(): LoadedJournal {
    const loaded = this.inner.load();
    const state: BanState = { ...loaded.state, holds: emptyState().holds };
    return { ...loaded, state };
  }
  override append(records: Parameters<Journal["append"]>[0]): void {
    this.inner.append(records);
  }
}

export async function removeOurs(
  session: Session,
  options: { dryRun: boolean; named: boolean },
): Promise<ActionOutcome> {
  if (session.severalFirewalls && !options.named) {
    return usage(
      "sync --remove-ours: name the firewall to retire with --firewall NAME (it never runs on all)",
    );
  }
  const agent = runningAgentPid(session.journal.dir);
  if (agent !== undefined && !options.dryRun) {
    return usage(
      `sync --remove-ours: the agent (pid ${agent}) runs and would put the bans back; stop it first (systemctl stop f2b-sophosxg), then take firewall ${session.firewallName} out of the config before starting it again`,
    );
  }
  const base = {
    client: session.firewall(),
    journal: new NothingDesired(session.journal),
    naming: session.naming,
    memory: session.target.memory,
  };
  const where = `firewall ${session.firewallName} (${session.config.url})`;
  if (options.dryRun) {
    const plan = await planReconcile({ ...base, dryRun: true });
    return done(
      `sync --remove-ours (dry run, nothing changed): would remove ${plan.remove.length} object(s) of ours from ${where}` +
        (plan.remove.length > 0
          ? `: ${plan.remove.slice(0, 20).join(" ")}${plan.remove.length > 20 ? " …" : ""}`
          : "") +
        "; the groups stay",
    );
  }
  const lock = await lockUntil(session.deliveryLockPath, Date.now() + LOCK_WAIT_MS);
  if (!lock)
    return failed(
      "sync --remove-ours: another f2b-sophosxg process kept the delivery lock for 60 s; try again",
    );
  try {
    const { plan, result } = await reconcile(base);
    const summary = `sync --remove-ours: removed ${result.absent.length} of ${plan.remove.length} object(s) of ours from ${where}; the groups stay`;
    if (result.failures.length > 0) {
      const first = result.failures[0]!;
      return failed(`${summary}; ${result.failures.length} failed, e.g. ${first.target}: ${first.text}`);
    }
    return done(
      `${summary}${session.severalFirewalls ? `; now take "${session.firewallName}" out of "firewalls" (the other firewalls keep every ban)` : ""}`,
    );
  } finally {
    lock.release();
  }
}
