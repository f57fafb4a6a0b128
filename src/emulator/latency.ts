/**
 * The firewall serialises API requests (reference §5): a FIFO queue where each request holds
 * the line for its whole processing time, latency included.
 */
import type { LatencySettings } from "./options.ts";

export function latencyFor(settings: LatencySettings, kind: "read" | "write", entities: number): number {
  const base = kind === "write" ? settings.writeMs + settings.entityMs * entities : settings.readMs;
  return Math.max(0, base * settings.timeScale);
}

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  get length(): number {
    return this.waiting;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(job);
    this.tail = result.then(
      () => {
        this.waiting -= 1;
      },
      () => {
        this.waiting -= 1;
      },
    );
    return result;
  }
}

export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
