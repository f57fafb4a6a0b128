/** The firewall's URL: https unless explicitly allowed, normalised to the base URL. */

const API_PATH = "/webconsole/APIController";

export type UrlResult = { url: string; insecureHttp: boolean } | { problem: string };

/**
 * `https://192.168.1.1:4444`, with or without a trailing `/` or `/webconsole/APIController`
 * (both seen in the original's configurations), becomes the base URL `https://192.168.1.1:4444`.
 */
export function normaliseUrl(text: string, allowInsecureHttp: boolean): UrlResult {
  const trimmed = text.trim();
  // URL parsers accept "fw.example:4444" (scheme "fw.example:"), so the scheme is checked on the text.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme !== "https" && scheme !== "http") {
    return { problem: "must start with https:// (e.g. https://192.168.1.1:4444)" };
  }
  if (scheme === "http" && !allowInsecureHttp) {
    return { problem: 'must start with https:// (set "allow_insecure_http": true to use http)' };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { problem: "is not a valid URL (expected e.g. https://192.168.1.1:4444)" };
  }
  if (url.username !== "" || url.password !== "") {
    return { problem: 'must not contain credentials (put them in "user" and "pass")' };
  }
  if (url.search !== "" || url.hash !== "") return { problem: "must not contain ?query or #fragment" };
  const path = url.pathname.replace(/\/+$/, "");
  if (path !== "" && path !== API_PATH) {
    return {
      problem: `must be the console's base URL, optionally ending in ${API_PATH} (e.g. https://192.168.1.1:4444)`,
    };
  }
  return { url: url.origin, insecureHttp: scheme === "http" };
}
