/** Two emulators as two firewalls in one config (`firewalls`), sharing one state directory. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { type AgentProcess, startAgent } from "../agent/helpers.ts";
import { GROUP_V4, GROUP_V6, PREFIX, TEST_PASSWORD, TEST_USER } from "../support/harness.ts";

export function writeFirewallsConfig(
  dir: string,
  firewalls: { name: string; emu: RunningEmulator; extra?: Record<string, unknown> }[],
  overrides: Record<string, unknown> = {},
): string {
  const stateDir = join(dir, "state");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const config = {
    user: TEST_USER,
    pass: TEST_PASSWORD,
    iphost_prefix: PREFIX,
    iphostgroup_name: GROUP_V4,
    iphostgroup_name_v6: GROUP_V6,
    state_dir: stateDir,
    connect_timeout_ms: 1000,
    request_timeout_ms: 5000,
    firewalls: firewalls.map((f) => ({
      name: f.name,
      url: f.emu.url,
      tls_pin_sha256: f.emu.fingerprint256,
      ...f.extra,
    })),
    ...overrides,
  };
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** The agent, once every firewall's loop has done its start-up reconciliation (hooks journal from then on). */
export async function startIdleFirewallsAgent(
  config: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<AgentProcess> {
  const agent = startAgent(config, env);
  for (const name of names) await agent.waitForLine(new RegExp(`^firewall ${name}: reconcile: `));
  return agent;
}
