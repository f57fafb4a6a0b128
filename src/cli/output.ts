/**
 * Fail2ban reads an action's output only after it exits, through a pipe: more than 64 KiB
 * deadlocks the action until its timeout. Everything we print goes through here and is capped.
 */
import { writeSync } from "node:fs";
import { redactSecrets } from "../errors/base.ts";

const MAX_BYTES = 16 * 1024;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

type Write = (text: string) => void;

const PROCESS_STREAMS: { out: Write; err: Write } = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Straight to file descriptors 1 and 2: creating process.stdout loads Node's stream (and, on a
 * pipe, net) modules, a few ms of a hook's start. For the few short lines of the fast path.
 */
function fdWrite(fd: 1 | 2): Write {
  return (text) => {
    try {
      writeSync(fd, text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // the reader went away: nothing to tell it
      if (code !== "EAGAIN") throw error;
      (fd === 1 ? process.stdout : process.stderr).write(text); // a non-blocking pipe that is full
    }
  };
}

export const FD_STREAMS: { out: Write; err: Write } = { out: fdWrite(1), err: fdWrite(2) };

export function processOutput(limit = MAX_BYTES, streams = PROCESS_STREAMS): Output {
  let written = 0;
  let cut = false;
  const write = (stream: Write, line: string) => {
    if (cut) return;
    const text = `${redactSecrets(line)}\n`;
    written += Buffer.byteLength(text);
    if (written > limit) {
      cut = true;
      stream("[output cut short to stay below Fail2ban's pipe limit]\n");
      return;
    }
    stream(text);
  };
  return { out: (line) => write(streams.out, line), err: (line) => write(streams.err, line) };
}
