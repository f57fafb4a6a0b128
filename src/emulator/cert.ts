/** The TLS identity: given PEM files, or a fresh self-signed EC certificate for localhost. */
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate: 64 lowercase hex digits, no colons. */
  fingerprint256: string;
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, "").toLowerCase();
}

export async function selfSignedIdentity(): Promise<TlsIdentity> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  } as Parameters<typeof generate>[1]);
  return { certPem: pems.cert, keyPem: pems.private, fingerprint256: fingerprintOf(pems.cert) };
}
