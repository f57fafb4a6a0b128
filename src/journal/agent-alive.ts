/**
 * Whether an agent is running for a state directory: it holds `agent.lock` for its whole life.
 * Hooks check this on every call (a file read and a signal 0), so it must stay cheap. The
 * journal owns the state directory's paths; the agent and the hooks both read them here.
 */
import { join } from "node:path";
import { lockOwner } from "./lock.ts";

export function agentLockPath(stateDir: string): string {
  return join(stateDir, "agent.lock");
}

/** Held by whoever talks to the firewall for this state directory (a hook, the agent, sync). */
export function deliveryLockPath(stateDir: string): string {
  return join(stateDir, "delivery.lock");
}

export function runningAgentPid(stateDir: string): number | undefined {
  return lockOwner(agentLockPath(stateDir));
}
