import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { findTcpListener } from "../system/proc.js";
import { checkLiveness, describeReadiness } from "./liveness.js";

// Real sockets and processes: the rule is about who holds a port, which /proc answers.
const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A /healthz server in this very process; returns its port. */
async function serve(status: number, body: object | null): Promise<number> {
  const server = createServer((_req, res) => {
    if (body === null) return; // never answers
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

function sleeper(): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  return child;
}

describe("checkLiveness", () => {
  it("is live when /healthz answers 200 from the process that holds the port", async () => {
    const port = await serve(200, { ok: true, status: "live" });
    const first = await checkLiveness({ port, pid: process.pid }, { timeoutMs: 1_000 });
    expect(first).toMatchObject({ live: true, answered: true, foreign: null });
    expect(first.message).toMatch(/^live in [\d.]+ms$/);
    expect(first.socket).toMatchObject({ pid: process.pid });
    // Next time the socket is known: still held, so still ours.
    const again = await checkLiveness(
      { port, pid: process.pid },
      { timeoutMs: 1_000, known: first.socket },
    );
    expect(again).toMatchObject({ live: true, socket: first.socket });
  });

  it("never takes another process's answer for the gateway's: it is a foreign holder", async () => {
    const port = await serve(200, { ok: true, status: "live" });
    const gateway = sleeper();
    const verdict = await checkLiveness({ port, pid: gateway.pid! }, { timeoutMs: 1_000 });
    expect(verdict).toMatchObject({ live: false, answered: true, socket: null });
    expect(verdict.foreign).toMatchObject({ pid: process.pid });
    expect(verdict.message).toMatch(
      new RegExp(
        `^port ${port} is held by pid ${process.pid} \\(.*\\), not the gateway \\(pid ${gateway.pid}\\)$`,
      ),
    );
  });

  it("is not live on a 503 or a timeout, and says which", async () => {
    const draining = await serve(503, { ok: false, status: "draining" });
    expect(
      await checkLiveness({ port: draining, pid: process.pid }, { timeoutMs: 1_000 }),
    ).toMatchObject({
      live: false,
      answered: false,
      foreign: null,
      message: "/healthz answered 503 draining",
    });
    const silent = await serve(200, null);
    const timedOut = await checkLiveness({ port: silent, pid: process.pid }, { timeoutMs: 200 });
    expect(timedOut).toMatchObject({ live: false, foreign: null });
    expect(timedOut.message).toMatch(/^no answer from .*\/healthz within 200ms$/);
  });

  it("takes its own socket with no visible owner for the process dying, not a conflict", async () => {
    // What a kill -9 of a multithreaded gateway leaves for a moment: the main thread is a
    // zombie (its fds unreadable) while another thread still holds the listening socket.
    // Python's main thread can exit that way (pthread_exit) while a thread lives on.
    const script = [
      "import ctypes, socket, threading, time",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)",
      "print(s.getsockname()[1], flush=True)",
      "threading.Thread(target=lambda: time.sleep(60)).start()",
      "ctypes.CDLL(None).pthread_exit(None)",
    ].join("\n");
    const dying = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(dying);
    const port = Number(String((await once(dying.stdout, "data"))[0]).trim());
    let listener = findTcpListener(port);
    for (let i = 0; i < 50 && listener?.pid !== null; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      listener = findTcpListener(port);
    }
    expect(listener).toMatchObject({ pid: null });
    const pid = dying.pid!;
    const known = { pid, fd: 3, inode: listener!.inode };
    const own = await checkLiveness({ port, pid }, { timeoutMs: 200, known });
    expect(own).toMatchObject({ live: false, foreign: null });
    expect(own.message).toMatch(/^no answer from/);
    // Without knowing the socket, an owner this user cannot see is not the gateway.
    const unknown = await checkLiveness({ port, pid }, { timeoutMs: 200 });
    expect(unknown.foreign).toMatchObject({ pid: null });
    expect(unknown.message).toBe(
      `port ${port} is held by a process this user cannot see, not the gateway (pid ${pid})`,
    );
  });
});

describe("describeReadiness", () => {
  const answer = (status: number, body: { ready: boolean; failing: string[] }) =>
    ({ ok: true, status, latencyMs: 1, body }) as const;

  it("is ready only when the status and the body both say so", () => {
    expect(describeReadiness(answer(200, { ready: true, failing: [] }))).toMatchObject({
      ready: true,
      message: "ready",
    });
    expect(describeReadiness(answer(503, { ready: true, failing: [] }))).toMatchObject({
      ready: false,
      message: "/readyz answered 503",
    });
  });

  it("names what is failing, in the words of the degraded reason", () => {
    expect(
      describeReadiness(answer(503, { ready: false, failing: ["channels", "db"] })),
    ).toMatchObject({
      ready: false,
      message: "not ready: failing channels, db",
    });
    expect(describeReadiness(answer(503, { ready: false, failing: [] })).message).toBe(
      "not ready: failing (none listed)",
    );
    const down = {
      ok: false,
      status: null,
      latencyMs: 2_000,
      failure: "timeout",
      message: "no answer from http://127.0.0.1:1/readyz within 2000ms",
    } as const;
    expect(describeReadiness(down)).toEqual({ ready: false, message: down.message, body: null });
  });
});
