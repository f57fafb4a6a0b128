/**
 * How a foreground agent waits for systemd's stop: resolves on the first SIGTERM or SIGINT,
 * after saying so in the log. A second signal takes the default action (exit at once): nothing
 * is lost either way, the journal holds every change.
 */
export function untilStopSignal(log: (line: string) => void, who: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${who}: ${signal} received, finishing the current round`);
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve();
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
}
