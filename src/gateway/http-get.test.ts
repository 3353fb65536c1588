import { type Server, createServer } from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { plainHttpGet } from "./http-get.js";

const servers: (Server | net.Server)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ("closeAllConnections" in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(server: Server | net.Server): Promise<URL> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/readyz?x=1`);
}

/** A TCP server that answers every connection with `bytes` and leaves it open unless `close`. */
function raw(bytes: string, close: boolean): net.Server {
  return net.createServer((socket) => {
    socket.once("data", () => (close ? socket.end(bytes) : socket.write(bytes)));
    socket.on("error", () => undefined);
  });
}

describe("plainHttpGet", () => {
  it("sends a GET with its path and query, and reads a Content-Length answer", async () => {
    let seen = "";
    const url = await listen(
      createServer((req, res) => {
        seen = `${req.method} ${req.url} ${req.headers.connection} ${req.headers.host}`;
        res.writeHead(503, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ ready: false, failing: ["telegram"], name: "žluťoučký" }));
      }),
    );
    const answer = await plainHttpGet(url, 2_000, 1024);
    expect(seen).toBe(`GET /readyz?x=1 close ${url.host}`);
    expect(answer).toEqual({
      status: 503,
      contentType: "application/json; charset=utf-8",
      text: '{"ready":false,"failing":["telegram"],"name":"žluťoučký"}',
    });
  });

  it("de-chunks a chunked answer, written in several pieces", async () => {
    const url = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"ok":');
        setTimeout(() => res.end('true,"status":"live"}'), 20);
      }),
    );
    expect((await plainHttpGet(url, 2_000, 1024)).text).toBe('{"ok":true,"status":"live"}');
  });

  it("answers once the announced body is in, from a server that keeps the connection open", async () => {
    const body = '{"ok":true}';
    const url = await listen(
      raw(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`, false),
    );
    const started = Date.now();
    expect(await plainHttpGet(url, 2_000, 1024)).toEqual({
      status: 200,
      contentType: null,
      text: body,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    const chunked = await listen(
      raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false),
    );
    expect((await plainHttpGet(chunked, 2_000, 1024)).text).toBe("{}");
  });

  it("rejects what is not HTTP, a body over the limit, a refused connection and silence", async () => {
    const ssh = await listen(raw("SSH-2.0-OpenSSH_9.6\r\n", true));
    await expect(plainHttpGet(ssh, 2_000, 1024)).rejects.toThrow("not HTTP/1.x");
    const big = await listen(createServer((_req, res) => res.end("x".repeat(5_000))));
    await expect(plainHttpGet(big, 2_000, 1024)).rejects.toThrow("larger than 1024 bytes");
    const refused = await listen(net.createServer());
    await new Promise((r) => servers.pop()!.close(r));
    await expect(plainHttpGet(refused, 2_000, 1024)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    // It reads the request (so that it sees the client go) and never answers.
    const silent = await listen(net.createServer((socket) => socket.resume()));
    await expect(plainHttpGet(silent, 200, 1024)).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
