/**
 * `metrics_listen`: where the agent serves its metrics. A port alone means loopback only
 * (127.0.0.1): the metrics say which addresses are banned and how the firewall is doing, which
 * is nobody else's business unless the operator names an address to listen on.
 */
import { parseAddress } from "../address/index.ts";

// Not node:net's isIP: the config is read by every hook, which loads no network module.
const isIPv6 = (text: string) => parseAddress("IPv6", text) !== undefined;
const isIPv4 = (text: string) => parseAddress("IPv4", text) !== undefined;

export interface ListenAddress {
  host: string;
  port: number;
}

const PORT = /^\d{1,5}$/;

/** Parses `9617`, `127.0.0.1:9617`, `[::1]:9617` or `localhost:9617`; a problem text otherwise. */
export function parseListen(value: string | number): ListenAddress | { problem: string } {
  const text = String(value).trim();
  const example = 'e.g. "127.0.0.1:9617", or a port alone for loopback only';
  let host = "127.0.0.1";
  let portText = text;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (!isIPv6(host)) return { problem: `"[${host}]" is not an IPv6 address (${example})` };
  } else if (text.includes(":")) {
    const at = text.lastIndexOf(":");
    host = text.slice(0, at);
    portText = text.slice(at + 1);
    if (host.includes(":")) return { problem: `put an IPv6 address in brackets, e.g. "[::1]:9617"` };
    if (!isIPv4(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) {
      return { problem: `the host part is not an address or a host name (${example})` };
    }
  }
  if (!PORT.test(portText) || Number(portText) > 65535) {
    return { problem: `the port must be a number from 0 to 65535 (${example})` };
  }
  return { host, port: Number(portText) };
}
