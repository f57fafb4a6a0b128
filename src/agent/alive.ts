/**
 * Whether an agent is running for a state directory: it holds `agent.lock` for its whole life.
 * Hooks check this on every call (a file read and a signal 0), so it must stay cheap.
 */
import { join } from "node:path";
import { lockOwner } from "../journal/lock.ts";

export function agentLockPath(stateDir: string): string {
  return join(stateDir, "agent.lock");
}

export function runningAgentPid(stateDir: string): number | undefined {
  return lockOwner(agentLockPath(stateDir));
}
