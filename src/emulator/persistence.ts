/**
 * The optional state file: user objects as JSON, written atomically (temp file + rename) so a
 * crash never leaves half a file behind.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import type { IpHost, IpHostGroup } from "../protocol/index.ts";
import { EmulatorError } from "./errors.ts";
import type { StoreSnapshot } from "./store.ts";

interface StateFile {
  version: 1;
  hosts: IpHost[];
  groups: IpHostGroup[];
}

export async function loadState(path: string): Promise<StoreSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new EmulatorError(`Reading the emulator state file ${path} failed`, { cause: error });
  }
  try {
    const data = JSON.parse(text) as Partial<StateFile>;
    if (data.version !== 1 || !Array.isArray(data.hosts) || !Array.isArray(data.groups)) {
      throw new Error("not an emulator state file (version 1 with hosts and groups)");
    }
    return { hosts: data.hosts, groups: data.groups };
  } catch (error) {
    throw new EmulatorError(`The emulator state file ${path} is not valid`, {
      cause: error,
      hint: "fix or delete it; the emulator writes it itself",
    });
  }
}

export async function saveState(path: string, objects: StoreSnapshot): Promise<void> {
  const data: StateFile = { version: 1, hosts: objects.hosts, groups: objects.groups };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new EmulatorError(`Writing the emulator state file ${path} failed`, { cause: error });
  }
}
