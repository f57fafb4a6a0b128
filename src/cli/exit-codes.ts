/** Documented in README.md ("Exit codes"). Fail2ban logs the output of any non-zero exit. */
export const ExitCode = {
  /** Done, or the change is safely journaled and will be delivered. */
  ok: 0,
  /** The firewall, the network or our own storage failed. */
  failure: 1,
  /** Bad command line or configuration; nothing was sent and nothing was written. */
  usage: 2,
} as const;
