/**
 * `AdminSettings/LoginSecurity` can block logins after 1–5 failures for 1–60 minutes; whether it
 * covers the API is unknown. With the switch on, a caller with that many failed logins in a row
 * is answered Authentication Failure, correct credentials or not, until the block ends.
 */
export class LoginLockout {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly settings: () => { failures: number; minutes: number } | null,
    private readonly now: () => number = Date.now,
  ) {}

  isLocked(caller: string): boolean {
    const entry = this.failures.get(caller);
    if (entry === undefined || entry.lockedUntil === 0) return false;
    if (this.now() < entry.lockedUntil) return true;
    this.failures.delete(caller);
    return false;
  }

  recordFailure(caller: string): void {
    const settings = this.settings();
    if (settings === null) return;
    const entry = this.failures.get(caller) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    if (entry.count >= settings.failures) entry.lockedUntil = this.now() + settings.minutes * 60_000;
    this.failures.set(caller, entry);
  }

  recordSuccess(caller: string): void {
    this.failures.delete(caller);
  }

  clear(): void {
    this.failures.clear();
  }
}
