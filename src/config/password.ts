/**
 * The password: inline (`pass`, the original's key), from a file (`pass_file`) or from an
 * environment variable (`pass_env`); exactly one. It is registered as a secret the moment it is
 * read and never appears in a message.
 */

import { hasAnyControlCharacter } from "../address/index.ts";
import { registerSecret } from "../errors/index.ts";
import { permissionProblem } from "./permissions.ts";
import type { ConfigFileData } from "./schema.ts";
import { readSmallFile } from "./secret-file.ts";
import type { PasswordSource } from "./types.ts";

export interface PasswordContext {
  file: string;
  configDir: string;
  env: NodeJS.ProcessEnv;
  checkPermissions: boolean;
}

export interface PasswordResult {
  password?: { value: string; source: PasswordSource };
  problems: string[];
  warnings: string[];
}

const SOURCES: PasswordSource[] = ["pass", "pass_file", "pass_env"];

/** `present` lists the source keys found in the file, valid or not (a bad one is already reported). */
export async function resolvePassword(
  values: ConfigFileData,
  present: readonly string[],
  context: PasswordContext,
): Promise<PasswordResult> {
  const { file } = context;
  const given = SOURCES.filter((key) => present.includes(key));
  if (given.length === 0) {
    return { problems: [`${file}: no password: set one of "pass", "pass_file" or "pass_env"`], warnings: [] };
  }
  if (given.length > 1) {
    const keys = given.map((k) => `"${k}"`).join(" and ");
    return { problems: [`${file}: keys ${keys} each give the password: keep exactly one`], warnings: [] };
  }
  const source = given[0] as PasswordSource;
  const problem = (text: string): PasswordResult => ({
    problems: [`${file}: key "${source}": ${text}`],
    warnings: [],
  });
  const warnings: string[] = [];
  let value: string;
  if (source === "pass") {
    if (values.pass === undefined) return { problems: [], warnings };
    value = values.pass;
  } else if (source === "pass_env") {
    if (values.pass_env === undefined) return { problems: [], warnings };
    const fromEnv = context.env[values.pass_env];
    if (fromEnv === undefined) {
      return problem(
        `environment variable ${values.pass_env} is not set (export it for the process that runs f2b-sophosxg)`,
      );
    }
    value = fromEnv;
  } else {
    if (values.pass_file === undefined) return { problems: [], warnings };
    const read = await readSmallFile(values.pass_file, context.configDir);
    if ("problem" in read)
      return problem(`${read.problem} (create it with the password on one line, chmod 600)`);
    // One trailing line break is what editors and `echo` add; it is not part of the password.
    value = read.text.replace(/\r?\n$/, "");
    registerSecret(value);
    const refused = context.checkPermissions
      ? permissionProblem(read.path, read.mode, "the password file")
      : undefined;
    if (refused !== undefined) return { problems: [`${file}: key "pass_file": ${refused}`], warnings };
  }
  registerSecret(value);
  if (value === "") return problem("the password is empty (set the firewall API user's password)");
  if (hasAnyControlCharacter(value)) {
    return problem("the password contains a line break or control character (keep it on one line)");
  }
  return { password: { value, source }, problems: [], warnings };
}
