/**
 * The keys that say how to reach one firewall and what to write there (URL, user, password,
 * TLS, prefix, groups, layout), resolved for the single-firewall form (the file's top level)
 * and for each entry of `firewalls`.
 */
import type { IpFamily } from "../address/index.ts";
import { DEFAULTS } from "./defaults.ts";
import { resolvePassword } from "./password.ts";
import type { ConfigFileData } from "./schema.ts";
import { resolveTls } from "./tls.ts";
import type { Connection, PasswordSource, TlsConfig } from "./types.ts";

export type { Connection };

import { normaliseUrl } from "./url.ts";

export interface ConnectionContext {
  /** How problems name the place: the file, or the file and the firewall's entry. */
  where: string;
  configDir: string;
  env: NodeJS.ProcessEnv;
  checkPermissions: boolean;
}

export interface ConnectionResult {
  connection?: Connection;
  problems: string[];
  warnings: string[];
}

export async function resolveConnection(
  values: ConfigFileData,
  present: readonly string[],
  context: ConnectionContext,
): Promise<ConnectionResult> {
  const { where } = context;
  const problems: string[] = [];
  const warnings: string[] = [];
  const missing = (key: string, example: string) => {
    if (!present.includes(key)) problems.push(`${where}: key "${key}" is missing (${example})`);
  };
  missing("url", 'the firewall\'s console, e.g. "url": "https://192.168.1.1:4444"');
  missing("user", 'the firewall API user, e.g. "user": "apiuser"');

  const allowInsecureHttp = values.allow_insecure_http === true;
  let url: string | undefined;
  let insecureHttp = false;
  if (values.url !== undefined) {
    const result = normaliseUrl(values.url, allowInsecureHttp);
    if ("problem" in result) problems.push(`${where}: key "url": ${result.problem}`);
    else ({ url, insecureHttp } = result);
    if (insecureHttp) {
      warnings.push(`${where}: the URL uses http://: the password crosses the network in clear text`);
    }
  }
  const password = await resolvePassword(values, present, {
    file: where,
    configDir: context.configDir,
    env: context.env,
    checkPermissions: context.checkPermissions,
  });
  problems.push(...password.problems);
  warnings.push(...password.warnings);
  const tls = await resolveTls(values, { file: where, configDir: context.configDir, insecureHttp });
  problems.push(...tls.problems);
  warnings.push(...tls.warnings);
  const groups = groupNames(values, where, problems);

  if (problems.length > 0 || url === undefined || password.password === undefined || tls.tls === undefined) {
    return { problems, warnings };
  }
  const connection: Connection = {
    url,
    username: values.user ?? "",
    password: password.password.value,
    passwordSource: password.password.source as PasswordSource,
    tls: tls.tls as TlsConfig,
    allowInsecureHttp,
    prefix: values.iphost_prefix ?? DEFAULTS.iphost_prefix,
    groups,
    layout: values.layout ?? DEFAULTS.layout,
    shardSize: values.iplist_shard_size ?? DEFAULTS.iplist_shard_size,
  };
  return { connection, problems, warnings };
}

function groupNames(values: ConfigFileData, where: string, problems: string[]): Record<IpFamily, string> {
  const IPv4 = values.iphostgroup_name ?? DEFAULTS.iphostgroup_name;
  const IPv6 = values.iphostgroup_name_v6 ?? `${IPv4}_v6`;
  if (values.iphostgroup_name_v6 === undefined && IPv6.length > 60) {
    problems.push(
      `${where}: key "iphostgroup_name": too long to derive the IPv6 group name (set "iphostgroup_name_v6")`,
    );
  }
  if (IPv4 === IPv6) {
    problems.push(
      `${where}: keys "iphostgroup_name" and "iphostgroup_name_v6" must differ (a group holds one family)`,
    );
  }
  return { IPv4, IPv6 };
}
