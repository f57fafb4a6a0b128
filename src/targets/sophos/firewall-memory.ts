/**
 * What deliveries learned about one firewall's answers, remembered in its delivery directory
 * (the state directory, or `<state_dir>/firewalls/<name>/` with several firewalls) as
 * `learned.json`, so that a later process uses it at once instead of learning it again:
 *
 *     {"ipv6Subnet":{"form":"mask","at":1764710000000}}
 *
 * `ipv6Subnet.form`: the `Subnet` form an IPv6 network was last accepted in (`prefix`: a
 * prefix length such as `64`; `mask`: `ffff:ffff:ffff:ffff::`), `at`: when (epoch ms). Only a
 * write the firewall accepted teaches anything. The file is a cache: losing it, or finding it
 * unreadable (warned once, then ignored), costs one extra request on the next IPv6 network
 * write, never a ban. Written atomically (temp file + rename), mode 0600.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Ipv6SubnetForm = "prefix" | "mask";

export const LEARNED_FILE = "learned.json";

export interface LearnedFact<T> {
  form: T;
  /** Epoch ms of the write that taught it. */
  at: number;
}

export interface Learned {
  ipv6Subnet?: LearnedFact<Ipv6SubnetForm>;
}

export interface FirewallMemoryOptions {
  /** The firewall's delivery directory; absent: learned for this process only. */
  dir?: string;
  /** False: read what is remembered, never write it (a dry run). Default true. */
  persist?: boolean;
  /** Told, once each, when the file cannot be read or written. */
  warn?: (text: string) => void;
  now?: () => number;
}

/** Reads `<dir>/learned.json`: what it says, or why it cannot be used (a missing file is no problem). */
export function readLearned(dir: string): { learned: Learned; problem?: string } {
  const path = join(dir, LEARNED_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { learned: {} };
    return { learned: {}, problem: `cannot read ${path} (${code ?? (error as Error).message})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { learned: {}, problem: `${path} is not JSON` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { learned: {}, problem: `${path} is not a JSON object` };
  const fact = (value as Record<string, unknown>).ipv6Subnet;
  if (fact === undefined) return { learned: {} };
  const { form, at } = (fact ?? {}) as Record<string, unknown>;
  if ((form !== "prefix" && form !== "mask") || typeof at !== "number" || !Number.isFinite(at))
    return {
      learned: {},
      problem: `${path}: "ipv6Subnet" is not {"form": "prefix" | "mask", "at": <epoch ms>}`,
    };
  return { learned: { ipv6Subnet: { form, at } } };
}

export class FirewallMemory {
  private learned: Learned | undefined;
  private warnedWrite = false;

  constructor(private readonly options: FirewallMemoryOptions = {}) {}

  /** Where it is remembered (undefined: in this process only). */
  get path(): string | undefined {
    return this.options.dir === undefined ? undefined : join(this.options.dir, LEARNED_FILE);
  }

  ipv6Subnet(): LearnedFact<Ipv6SubnetForm> | undefined {
    return this.load().ipv6Subnet;
  }

  /** The firewall just accepted an IPv6 network in `form`: remember it (written only when it changes). */
  rememberIpv6Subnet(form: Ipv6SubnetForm): void {
    const learned = this.load();
    if (learned.ipv6Subnet?.form === form) return;
    learned.ipv6Subnet = { form, at: (this.options.now ?? Date.now)() };
    this.save(learned);
  }

  private load(): Learned {
    if (this.learned !== undefined) return this.learned;
    if (this.options.dir === undefined) {
      this.learned = {};
      return this.learned;
    }
    const { learned, problem } = readLearned(this.options.dir);
    if (problem !== undefined)
      this.options.warn?.(`${problem}: ignored; the firewall's IPv6 network form is learned again`);
    this.learned = learned;
    return learned;
  }

  private save(learned: Learned): void {
    const path = this.path;
    if (path === undefined || this.options.persist === false) return;
    const temp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(learned)}\n`, { mode: 0o600 });
      renameSync(temp, path);
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {}
      // A cache: the next process learns it again with one extra request.
      if (!this.warnedWrite)
        this.options.warn?.(
          `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the firewall's IPv6 network form is learned again by the next process`,
        );
      this.warnedWrite = true;
    }
  }
}
