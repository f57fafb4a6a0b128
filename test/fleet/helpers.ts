/**
 * A fleet for tests: a real redis-server, one emulator with one API user per member (its
 * request log then says who wrote), and members as separate state directories, each with its
 * own config and its own agent process.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { type AgentProcess, startAgent } from "../agent/helpers.ts";
import { GROUP_V4, groupMembers, PREFIX, runCli, startFirewall, writeConfig } from "../support/harness.ts";
import { REDIS_PASSWORD, type TestRedis } from "../support/redis.ts";

export const FLEET = "t";
export const LEASE_MS = 1000;

export function memberUser(name: string): string {
  return `api-${name}`;
}

function memberPassword(name: string): string {
  return `pw-${name}-Z9`;
}

export function startFleetFirewall(members: string[], latencyMs = 0): Promise<RunningEmulator> {
  return startFirewall({
    extraUsers: members.map((m) => ({ username: memberUser(m), password: memberPassword(m) })),
    latency: { writeMs: latencyMs, readMs: 0 },
    logSize: 100_000,
  });
}

export class Member {
  agent: AgentProcess | undefined;
  readonly config: string;
  /** The member's state directory (its journal; its pusher journal under fleet-pusher/). */
  readonly stateDir: string;
  constructor(
    readonly name: string,
    readonly dir: string,
    emu: RunningEmulator,
    redis: TestRedis,
    redisPort = redis.port,
    /** More config keys (the bench sets `max_entities_per_request`). */
    extra: Record<string, unknown> = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.stateDir = join(dir, "state");
    const passFile = join(dir, "redis.pass");
    writeFileSync(passFile, `${REDIS_PASSWORD}\n`, { mode: 0o600 });
    this.config = writeConfig(dir, emu, {
      user: memberUser(name),
      pass: memberPassword(name),
      ...extra,
      fleet: {
        redis_url: `redis://fleet@127.0.0.1:${redisPort}`,
        redis_pass_file: passFile,
        name: FLEET,
        member: name,
        lease_ms: LEASE_MS,
      },
    });
  }

  /** `bouncer` for a member with a `crowdsec` section and no Fail2ban. */
  start(command: "agent" | "bouncer" = "agent"): AgentProcess {
    this.agent = startAgent(this.config, {}, command);
    return this.agent;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.agent?.stop(signal);
    this.agent = undefined;
  }

  ban(ip: string, jail = "sshd", bantime?: number) {
    return runCli([
      "ban",
      "--ip",
      ip,
      "--jail",
      jail,
      "--configfile",
      this.config,
      ...(bantime === undefined ? [] : ["--bantime", String(bantime)]),
    ]);
  }

  cli(...args: string[]) {
    return runCli([...args, "--configfile", this.config]);
  }
}

/** The IP host of a banned IPv4 address (the hosts layout, the fleet tests' one). */
export function hostName(ip: string): string {
  return `${PREFIX}${ip}`;
}

/** Whether the fleet's IPv4 group holds `ip`. */
export function inGroup(emu: RunningEmulator, ip: string): boolean {
  return groupMembers(emu, GROUP_V4).includes(hostName(ip));
}

/** Whether the fleet's IPv4 group holds every one of `ips`. */
export function onFirewall(emu: RunningEmulator, ips: string[]): boolean {
  const members = new Set(groupMembers(emu, GROUP_V4));
  return ips.every((ip) => members.has(hostName(ip)));
}

/** The member named in the lease, if any. */
export function pusherOf(redis: TestRedis): string | undefined {
  const value = redis.cli("GET", `f2b:${FLEET}:lease`);
  const at = value.lastIndexOf(":");
  return at > 0 ? value.slice(0, at) : undefined;
}

/** The API users that sent writes, in the request log entries from index `from` on. */
export function writers(emu: RunningEmulator, from = 0): string[] {
  return [
    ...new Set(
      emu
        .requestLog()
        .slice(from)
        .filter((e) => e.kind === "write")
        .map((e) => e.user ?? "?"),
    ),
  ];
}
