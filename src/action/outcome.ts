/** What an action reports back to the CLI, which prints it; the library itself never prints. */
export interface ActionOutcome {
  /** 0 done (or safely journaled), 1 firewall, network or storage failure, 2 usage or configuration. */
  exitCode: 0 | 1 | 2;
  /** Short lines for standard output (Fail2ban logs them only when the action fails). */
  lines: string[];
}

export function done(...lines: string[]): ActionOutcome {
  return { exitCode: 0, lines };
}

export function failed(...lines: string[]): ActionOutcome {
  return { exitCode: 1, lines };
}
