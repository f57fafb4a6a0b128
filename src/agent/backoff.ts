/**
 * Retry timing for a failing firewall: exponential backoff with full jitter, and a circuit
 * breaker that, after several failures in a row, stops pushing for a while and says so once
 * (a firewall that is rebooting should not be hammered, nor the log flooded).
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Consecutive failures that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit waits before one probe attempt. */
  breakerCooldownMs: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 500,
  maxMs: 30_000,
  breakerThreshold: 5,
  breakerCooldownMs: 60_000,
};

export class Backoff {
  private failures = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {
    this.random = options.random ?? Math.random;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  get circuitOpen(): boolean {
    return this.failures >= this.options.breakerThreshold;
  }

  /** Records a failure; returns the delay before the next attempt and whether the circuit just opened. */
  failure(): { delayMs: number; opened: boolean } {
    this.failures++;
    if (this.failures >= this.options.breakerThreshold) {
      return {
        delayMs: this.options.breakerCooldownMs,
        opened: this.failures === this.options.breakerThreshold,
      };
    }
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** (this.failures - 1));
    return { delayMs: Math.round(ceiling / 2 + (this.random() * ceiling) / 2), opened: false };
  }

  /** Records a success; returns true when this closed an open circuit. */
  success(): boolean {
    const wasOpen = this.circuitOpen;
    this.failures = 0;
    return wasOpen;
  }
}
