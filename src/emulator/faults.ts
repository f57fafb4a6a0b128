/** The fault switches, settable at start and at run time; counted faults wear off by themselves. */

import { textForCode } from "./entity-status.ts";
import { type Faults, NO_FAULTS } from "./options.ts";

export interface StatusFault {
  code: number;
  text: string;
  scope: Faults["scope"];
}

export class FaultError extends Error {
  override name = "FaultError";
}

export class FaultState {
  private current: Faults = { ...NO_FAULTS };

  get(): Faults {
    return { ...this.current };
  }

  /** Applies a partial update after checking every field; throws FaultError naming the bad field. */
  set(partial: Record<string, unknown>): Faults {
    const next: Faults = { ...this.current };
    for (const [key, value] of Object.entries(partial)) {
      switch (key) {
        case "down":
        case "apiDisabled":
        case "callerNotAllowed":
        case "wrongCredentials":
          if (typeof value !== "boolean") throw new FaultError(`${key} must be true or false`);
          next[key] = value;
          break;
        case "reset":
        case "hang":
          if (typeof value !== "boolean" && !(Number.isInteger(value) && (value as number) >= 0)) {
            throw new FaultError(`${key} must be true, false or a count of requests`);
          }
          next[key] = value === 0 ? false : (value as boolean | number);
          break;
        case "statusCode":
          if (
            value !== null &&
            !(Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 999)
          ) {
            throw new FaultError("statusCode must be a code between 100 and 999, or null");
          }
          next.statusCode = value as number | null;
          break;
        case "count":
          if (!(Number.isInteger(value) && (value as number) >= 0)) {
            throw new FaultError("count must be a whole number ≥ 0");
          }
          next.count = value as number;
          break;
        case "scope":
          if (value !== "auto" && value !== "top" && value !== "http") {
            throw new FaultError('scope must be "auto", "top" or "http"');
          }
          next.scope = value;
          break;
        case "statusText":
          if (value !== null && typeof value !== "string")
            throw new FaultError("statusText must be a string or null");
          next.statusText = value as string | null;
          break;
        default:
          throw new FaultError(`unknown fault "${key}"`);
      }
    }
    // A status code without a count means "the next request".
    if ("statusCode" in partial && next.statusCode !== null && !("count" in partial)) next.count = 1;
    this.current = next;
    return this.get();
  }

  clear(): void {
    this.current = { ...NO_FAULTS };
  }

  /** True when this request must be dropped (reset) — consumes one count. */
  takeReset(): boolean {
    return this.take("reset");
  }

  takeHang(): boolean {
    return this.take("hang");
  }

  private take(key: "reset" | "hang"): boolean {
    const value = this.current[key];
    if (value === false) return false;
    if (typeof value === "number") this.current[key] = value - 1 > 0 ? value - 1 : false;
    return true;
  }

  /** The injected status for this request, if any, without consuming it. */
  peekStatus(): StatusFault | undefined {
    const f = this.current;
    if (f.statusCode === null || f.count <= 0) return undefined;
    return { code: f.statusCode, text: f.statusText ?? textForCode(f.statusCode), scope: f.scope };
  }

  consumeStatus(): void {
    if (this.current.count > 0) this.current.count -= 1;
    if (this.current.count === 0) this.current.statusCode = null;
  }
}
