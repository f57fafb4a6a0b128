/**
 * TLS mode from the keys: `tls_pin_sha256` → pin, `tls_ca_file` → ca, `tls_insecure: true` or
 * the original's `verifySslCertificate: false` → insecure (with a warning), else system CAs.
 * Keys that contradict each other are errors rather than a silent precedence.
 */
import type { ConfigFileData } from "./schema.ts";
import { readSmallFile } from "./secret-file.ts";
import type { TlsConfig } from "./types.ts";

export interface TlsResult {
  tls?: TlsConfig;
  problems: string[];
  warnings: string[];
}

export async function resolveTls(
  values: ConfigFileData,
  context: { file: string; configDir: string; insecureHttp: boolean },
): Promise<TlsResult> {
  const { file } = context;
  const problems: string[] = [];
  const warnings: string[] = [];
  const verify = values.verifySslCertificate;
  const insecureFlag = values.tls_insecure;
  if (verify !== undefined && insecureFlag !== undefined && verify === insecureFlag) {
    problems.push(`${file}: keys "verifySslCertificate" and "tls_insecure" disagree: keep one of them`);
  }
  const insecureKey =
    insecureFlag === true ? "tls_insecure" : verify === false ? "verifySslCertificate" : undefined;
  const checked = [
    values.tls_ca_file !== undefined ? "tls_ca_file" : undefined,
    values.tls_pin_sha256 !== undefined ? "tls_pin_sha256" : undefined,
  ].filter((k) => k !== undefined);
  if (checked.length === 2) {
    problems.push(
      `${file}: keys "tls_ca_file" and "tls_pin_sha256" conflict: use one way to check the certificate`,
    );
  }
  if (insecureKey !== undefined && checked.length > 0) {
    problems.push(
      `${file}: key "${insecureKey}" turns certificate checks off but "${checked[0]}" sets one: remove one of them`,
    );
  }
  if (context.insecureHttp && (checked.length > 0 || insecureFlag !== undefined)) {
    const key = checked[0] ?? "tls_insecure";
    problems.push(`${file}: key "${key}" has no effect with an http:// URL: remove it or use https://`);
  }
  if (problems.length > 0) return { problems, warnings };
  if (context.insecureHttp) return { tls: { mode: "system" }, problems, warnings };
  if (values.tls_pin_sha256 !== undefined) {
    return {
      tls: { mode: "pin", sha256: values.tls_pin_sha256.replaceAll(":", "").toLowerCase() },
      problems,
      warnings,
    };
  }
  if (values.tls_ca_file !== undefined) {
    const read = await readSmallFile(values.tls_ca_file, context.configDir);
    if ("problem" in read) {
      return {
        problems: [`${file}: key "tls_ca_file": ${read.problem} (give the firewall's CA certificate in PEM)`],
        warnings,
      };
    }
    if (!read.text.includes("-----BEGIN CERTIFICATE-----")) {
      return {
        problems: [
          `${file}: key "tls_ca_file": ${read.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
        ],
        warnings,
      };
    }
    return { tls: { mode: "ca", ca: read.text, caFile: read.path }, problems, warnings };
  }
  if (insecureKey !== undefined) {
    warnings.push(
      `${file}: TLS certificate verification is off ("${insecureKey}"): anyone between here and the firewall can read the password; set "tls_pin_sha256" or "tls_ca_file" instead`,
    );
    return { tls: { mode: "insecure" }, problems, warnings };
  }
  return { tls: { mode: "system" }, problems, warnings };
}
