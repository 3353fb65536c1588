import { tcpConnect } from "./tcp-connect.js";

/** An HTTP answer as the probes read it. */
export interface HttpAnswer {
  status: number;
  contentType: string | null;
  text: string;
}

/** Bytes allowed for the status line and headers, beyond the body's limit. */
const HEAD_LIMIT = 64 * 1024;

/**
 * One plain-HTTP GET on a fresh connection (`Connection: close`), read to
 * the end of the connection. The supervisor probes every gateway every few
 * seconds, and node:http's client machinery was most of a probe's CPU:
 * measured on 3,000 probes of a local server, ~150 µs of client CPU per
 * probe against ~40 µs here. Reading to the close keeps the parsing small:
 * a body is what follows the headers, de-chunked when the answer says
 * `Transfer-Encoding: chunked`, cut to its `Content-Length` otherwise.
 *
 * Rejects with the socket's error (its `code`, e.g. ECONNREFUSED), a
 * `TimeoutError` after `timeoutMs`, or an error when the answer is not HTTP
 * or its body is larger than `maxBody` bytes.
 */
export function plainHttpGet(url: URL, timeoutMs: number, maxBody: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const port = Number(url.port || 80);
    // An IPv6 literal comes bracketed in a URL's hostname.
    const socket = tcpConnect({ host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: Error) => {
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs}ms`);
      error.name = "TimeoutError";
      fail(error);
    }, timeoutMs);
    socket.on("connect", () =>
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          "Accept: application/json\r\nConnection: close\r\n\r\n",
      ),
    );
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parseAnswer(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), maxBody));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody + HEAD_LIMIT)
        return fail(new Error(`answer larger than ${maxBody} bytes`));
      chunks.push(chunk);
      // A server that keeps the connection open despite `Connection: close` has answered
      // once the body it announced is here.
      if (isComplete(chunks.length === 1 ? chunk : Buffer.concat(chunks))) finish();
    });
    socket.on("end", finish);
    socket.on("error", fail);
  });
}

/** Whether the bytes hold a whole answer: headers, and the body its length or last chunk says. */
function isComplete(bytes: Buffer): boolean {
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd === -1) return false;
  const head = bytes.subarray(0, headEnd).toString("latin1");
  if (/^transfer-encoding:.*\bchunked\b/im.test(head))
    return bytes.subarray(-5).toString("latin1") === "0\r\n\r\n";
  const length = /^content-length:\s*(\d+)/im.exec(head);
  return length !== null && bytes.length - headEnd - 4 >= Number(length[1]);
}

/** Status, content type and body of a whole HTTP/1.x answer. Throws when it is not one. */
export function parseAnswer(bytes: Buffer, maxBody: number): HttpAnswer {
  const headEnd = bytes.indexOf("\r\n\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, 16).toString("latin1"));
  if (headEnd === -1 || !statusLine) throw new Error("the answer is not HTTP/1.x");
  const headers = new Map<string, string>();
  for (const line of bytes.subarray(0, headEnd).toString("latin1").split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) body = dechunk(body);
  else if (headers.has("content-length"))
    body = body.subarray(0, Number(headers.get("content-length")));
  if (body.length > maxBody) throw new Error(`answer larger than ${maxBody} bytes`);
  return {
    status: Number(statusLine[1]),
    contentType: headers.get("content-type") ?? null,
    text: body.toString("utf8"),
  };
}

/** The data of a chunked body (`<hex size>[;ext]\r\n<data>\r\n`... `0\r\n\r\n`); a cut-off body keeps what came. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const length = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(length > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + length));
    at = lineEnd + 2 + length + 2;
  }
  return Buffer.concat(parts);
}
