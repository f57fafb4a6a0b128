/**
 * Gets `reqxml` out of an HTTP request the three ways clients send it (reference §1): the
 * query string (GET or POST), an urlencoded POST body, a multipart/form-data part (raw).
 */
import type { IncomingMessage } from "node:http";

export type ReqxmlSource = "query" | "urlencoded" | "multipart" | "none";

export interface ReadRequest {
  reqxml: string | undefined;
  via: ReqxmlSource;
  tooLarge: boolean;
}

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/** Reads the body, stopping (and throwing) as soon as it passes `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > maxBytes) {
      reject(new BodyTooLargeError(`body of ${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.pause();
        reject(new BodyTooLargeError(`body over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function readReqxml(req: IncomingMessage, maxBytes: number): Promise<ReadRequest> {
  let body: Buffer;
  try {
    body = req.method === "POST" ? await readBody(req, maxBytes) : Buffer.alloc(0);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { reqxml: undefined, via: "none", tooLarge: true };
    throw error;
  }
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  if (body.length > 0 && contentType.startsWith("multipart/form-data")) {
    const value = multipartField(body, String(req.headers["content-type"]), "reqxml");
    if (value !== undefined) return { reqxml: value, via: "multipart", tooLarge: false };
  } else if (body.length > 0) {
    const value = new URLSearchParams(body.toString("utf8")).get("reqxml");
    if (value !== null) return { reqxml: value, via: "urlencoded", tooLarge: false };
  }
  const query = new URL(req.url ?? "/", "http://x").searchParams.get("reqxml");
  if (query !== null) return { reqxml: query, via: "query", tooLarge: false };
  return { reqxml: undefined, via: "none", tooLarge: false };
}

/** The raw (not url-decoded) content of the part named `name`. */
export function multipartField(body: Buffer, contentType: string, name: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    const part = body.subarray(partStart, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const partName = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
      if (partName === name) {
        let content = part.subarray(headerEnd + 4);
        // The CRLF before the next delimiter belongs to the delimiter.
        if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2);
        return content.toString("utf8");
      }
    }
    start = next;
  }
  return undefined;
}
