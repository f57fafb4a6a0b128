/**
 * One writer per firewall: the pusher holds `lease` (SET NX PX) with a fencing token from INCR
 * `fence`. Before every request to the firewall it passes the gate: one atomic script that
 * checks the lease is still its own and that no newer token has ever passed, and records its
 * token as the highest. A member that lost the lease (expired while it was paused, taken over
 * while it was cut off) fails the gate and stops before its next request; see docs/fleet.md
 * for what it can still do (finish the one request already sent) and why the reconcile of the
 * next pusher repairs that.
 */
import { F2bError } from "../errors/base.ts";
import type { FleetKeys } from "./keys.ts";
import type { FleetRedis } from "./redis.ts";

export class LeaseLostError extends F2bError {
  override name = "LeaseLostError";
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const GATE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local high = tonumber(redis.call('GET', KEYS[2]) or '0')
if high > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

/** Who holds the lease, from its value "<member>:<token>". */
export function leaseHolder(value: unknown): { member: string; token: number } | undefined {
  if (typeof value !== "string") return undefined;
  const at = value.lastIndexOf(":");
  const token = Number(value.slice(at + 1));
  return at > 0 && Number.isInteger(token) ? { member: value.slice(0, at), token } : undefined;
}

export class Lease {
  private value: string | undefined;
  private token = 0;
  /** Epoch ms until which we may write without asking Redis again (a margin below the lease). */
  private validUntil = 0;

  constructor(
    private readonly redis: FleetRedis,
    private readonly keys: FleetKeys,
    private readonly member: string,
    private readonly leaseMs: number,
  ) {}

  get held(): boolean {
    return this.value !== undefined && Date.now() < this.validUntil;
  }

  get fencingToken(): number {
    return this.token;
  }

  /** Clocks drift and a renewal takes time: trust a lease for 80 % of its length. */
  private trustUntil(sentAt: number): number {
    return sentAt + Math.floor(this.leaseMs * 0.8);
  }

  /** Takes the lease when it is free; renews it when it is ours. Returns whether we hold it. */
  async acquireOrRenew(): Promise<boolean> {
    if (this.value !== undefined) {
      const sentAt = Date.now();
      const renewed = await this.redis.command([
        "EVAL",
        RENEW,
        "1",
        this.keys.lease,
        this.value,
        String(this.leaseMs),
      ]);
      if (Number(renewed) === 1) {
        this.validUntil = this.trustUntil(sentAt);
        return true;
      }
      this.lose();
      return false;
    }
    if ((await this.redis.command(["GET", this.keys.lease])) !== null) return false;
    const token = Number(await this.redis.command(["INCR", this.keys.fence]));
    const value = `${this.member}:${token}`;
    // Trusted from the SET's sending, not the GET's: the lease's time starts when Redis runs the
    // SET, and on a slow link the two reads before it would eat the trust away.
    const setAt = Date.now();
    const set = await this.redis.command(["SET", this.keys.lease, value, "NX", "PX", String(this.leaseMs)]);
    if (set !== "OK") return false;
    this.value = value;
    this.token = token;
    this.validUntil = this.trustUntil(setAt);
    return true;
  }

  /**
   * Passes the gate before a request to the firewall, or throws LeaseLostError. The local
   * deadline is checked first: a pusher that cannot reach Redis stops without asking it.
   */
  async gate(): Promise<void> {
    if (!this.held) {
      this.lose();
      throw new LeaseLostError(`fleet: ${this.member} no longer holds the pusher's lease`);
    }
    const sentAt = Date.now();
    const passed = await this.redis.command([
      "EVAL",
      GATE,
      "2",
      this.keys.lease,
      this.keys.fenceHigh,
      this.value!,
      String(this.token),
    ]);
    if (Number(passed) !== 1) {
      this.lose();
      throw new LeaseLostError(`fleet: ${this.member}'s lease (token ${this.token}) was taken over`);
    }
    // The gate only read the lease; its expiry stands as it was.
    if (Date.now() > this.validUntil || sentAt > this.validUntil) {
      this.lose();
      throw new LeaseLostError(`fleet: ${this.member}'s lease ran out while passing the gate`);
    }
  }

  lose(): void {
    this.value = undefined;
    this.validUntil = 0;
  }

  /** Lets go at once (a clean stop), so another member takes over without waiting. */
  async release(): Promise<void> {
    const value = this.value;
    this.lose();
    if (value !== undefined) await this.redis.command(["EVAL", RELEASE, "1", this.keys.lease, value]);
  }
}
