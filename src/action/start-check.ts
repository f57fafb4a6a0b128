/**
 * `start` makes sure each family's group exists (creating only what is missing, changing
 * nothing else) and then delivers anything left pending; `check` reads without writing;
 * `stop` changes nothing, because the groups are used in firewall rules.
 */
import { beforeDeadline } from "../delivery/index.ts";
import { ensureGroups } from "../targets/sophos/index.ts";
import { deliverNow, describeDelivery } from "./deliver-now.ts";
import { FLEET_FORWARDS } from "./intent.ts";
import { type ActionOutcome, done, failed } from "./outcome.ts";
import type { Session } from "./session.ts";

export async function start(session: Session): Promise<ActionOutcome> {
  // Fleet mode: the pusher creates the groups; a member never writes to the firewall itself.
  if (session.config.fleet && !session.dryRun) return done(`start: fleet member; ${FLEET_FORWARDS}`);
  const checks = await beforeDeadline(
    session.target.ensureGroups({ create: true }),
    session.deadline,
    "make sure the groups exist",
  );
  const groups = checks.map((c) => `${c.name} (${c.family}) ${c.state}`).join(", ");
  if (session.dryRun) return done(`dry run: groups ${groups}; nothing was sent`);
  const delivery = await deliverNow(session);
  return done(`start: groups ${groups}; ${describeDelivery(delivery)}`);
}

export function stop(): ActionOutcome {
  return done("stop: nothing changed on the firewall (the groups stay: firewall rules use them)");
}

export async function check(session: Session): Promise<ActionOutcome> {
  const client = session.firewall();
  await client.login();
  // Reading our hosts proves read access to IP hosts; the groups prove the rest of the setup.
  await client.getIpHostsByNamePrefix(session.naming.prefix);
  const checks = await ensureGroups(client, session.naming.groups, { create: false });
  // The dry-run transport answers every Get with nothing: "missing" would be its invention.
  if (session.dryRun) return done("dry run: check would send the requests above; nothing was sent");
  const missing = checks.filter((c) => c.state === "missing");
  if (missing.length > 0) {
    return failed(
      `check: group(s) ${missing.map((c) => `${c.name} (${c.family})`).join(", ")} missing on the firewall; run \`f2b-sophosxg start\``,
    );
  }
  return done(
    `check: ok: login, IP hosts readable, ${checks.map((c) => `${c.name} ${c.members} member(s)`).join(", ")}`,
  );
}
