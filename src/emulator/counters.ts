/** What the emulator has been asked, for tests and for people watching a demo. */

export interface Counters {
  /** API requests that reached /webconsole/APIController (including refused and faulted ones). */
  requests: number;
  /** Requests answered with Authentication Failure. */
  loginFailures: number;
  /** Requests refused before login (529, 532, 534) and by injected top-level faults. */
  refused: number;
  /** Operation blocks seen after a successful login. */
  operations: { Get: number; Set: number; Remove: number };
  /** Objects returned by Get answers. */
  entityReads: number;
  /** Entities attempted by Set and Remove (each Remove Name counts), whatever their outcome. */
  entityWrites: number;
  /** The part of entityWrites answered with code 200. */
  entityWritesApplied: number;
}

export function newCounters(): Counters {
  return {
    requests: 0,
    loginFailures: 0,
    refused: 0,
    operations: { Get: 0, Set: 0, Remove: 0 },
    entityReads: 0,
    entityWrites: 0,
    entityWritesApplied: 0,
  };
}

export interface RequestLogEntry {
  at: string;
  caller: string;
  /** The API user that logged in, when one did. */
  user?: string;
  via: string;
  kind: "read" | "write";
  outcome: string;
  entities: number;
  latencyMs: number;
}
