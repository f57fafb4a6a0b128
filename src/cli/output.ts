/**
 * Fail2ban reads an action's output only after it exits, through a pipe: more than 64 KiB
 * deadlocks the action until its timeout. Everything we print goes through here and is capped.
 */
import { redactSecrets } from "../errors/base.ts";

const MAX_BYTES = 16 * 1024;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export function processOutput(limit = MAX_BYTES): Output {
  let written = 0;
  let cut = false;
  const write = (stream: NodeJS.WriteStream, line: string) => {
    if (cut) return;
    const text = `${redactSecrets(line)}\n`;
    written += Buffer.byteLength(text);
    if (written > limit) {
      cut = true;
      stream.write("[output cut short to stay below Fail2ban's pipe limit]\n");
      return;
    }
    stream.write(text);
  };
  return { out: (line) => write(process.stdout, line), err: (line) => write(process.stderr, line) };
}
