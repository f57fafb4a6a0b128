/**
 * Turns a TlsMode into node:tls connect options and the pin check. Pure: no I/O here.
 */
import type { ConnectionOptions, PeerCertificate } from "node:tls";
import { InvalidRequestValueError } from "./errors.ts";
import type { TlsMode } from "./types.ts";

/** `AB:cd:…` or `abcd…` → 64 upper-case hex digits; anything else is refused at construction. */
export function normalizeSha256(value: string, field = "tls.sha256"): string {
  const hex = value.replace(/[\s:]/g, "").toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new InvalidRequestValueError(
      `${field} is not a SHA-256 fingerprint (64 hex digits, colons allowed)`,
      field,
      {
        hint: "read it with: openssl s_client -connect HOST:PORT </dev/null | openssl x509 -noout -fingerprint -sha256",
      },
    );
  }
  return hex;
}

export interface TlsPlan {
  connect: ConnectionOptions;
  /** Expected fingerprint (normalised) when pinning; checked on secureConnect, before the request is written. */
  pin: string | undefined;
}

export function tlsPlan(mode: TlsMode): TlsPlan {
  switch (mode.mode) {
    case "system":
      return { connect: { rejectUnauthorized: true }, pin: undefined };
    case "ca":
      if (typeof mode.ca !== "string" || !mode.ca.includes("-----BEGIN")) {
        throw new InvalidRequestValueError(
          "tls.ca must be a PEM certificate (-----BEGIN CERTIFICATE-----…)",
          "tls.ca",
        );
      }
      return { connect: { rejectUnauthorized: true, ca: mode.ca }, pin: undefined };
    case "pin":
      // Verification is off so that a self-signed appliance certificate gets to the pin check;
      // checkServerIdentity would not run then, hence the explicit check on secureConnect.
      return { connect: { rejectUnauthorized: false }, pin: normalizeSha256(mode.sha256) };
    case "insecure":
      return { connect: { rejectUnauthorized: false }, pin: undefined };
    default:
      throw new InvalidRequestValueError(
        `tls.mode ${JSON.stringify((mode as { mode: unknown }).mode)} is not one of system, ca, pin, insecure`,
        "tls.mode",
      );
  }
}

/** Colon-separated upper-case form, as openssl and Node print it. */
export function fingerprintOf(cert: PeerCertificate | undefined): string | undefined {
  const fp = cert?.fingerprint256;
  return typeof fp === "string" && fp !== "" ? fp.toUpperCase() : undefined;
}

export function pinMatches(expected: string, cert: PeerCertificate | undefined): boolean {
  const actual = fingerprintOf(cert);
  return actual !== undefined && actual.replace(/:/g, "") === expected;
}
