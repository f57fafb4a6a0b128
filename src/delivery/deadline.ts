import { F2bError } from "../errors/base.ts";

export class DeadlineError extends F2bError {
  override name = "DeadlineError";
}

/**
 * Stops waiting for `work` at `deadline` (epoch ms). The work itself is not cancelled; the
 * caller closes the client, which destroys its sockets. Used so that a hook never outlives its
 * time budget even when a slow firewall is half-way through a round.
 */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  // No deadline (the agent, which stops between rounds instead): wait for the work itself.
  // Never hand setTimeout an infinite delay: Node would fire it at once.
  if (!Number.isFinite(deadline)) return work;
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw new DeadlineError(`no time left to ${what}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DeadlineError(`gave up waiting to ${what} after the time budget ran out`, {
            hint: "the change stays journaled and is retried by the next command, the agent or `sync`",
          }),
        ),
      remaining,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
