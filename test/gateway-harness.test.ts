import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OpsError } from "../src/core/errors.js";
import { GatewayClient } from "../src/gateway/client.js";
import { probeGatewayHttp } from "../src/gateway/probes.js";
import { isPidAlive, liveGroupMembers } from "../src/system/proc.js";
import { FAKE_LLM_TEXT, type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_RUNTIME,
  type TestGateway,
  gatewayRuntimeAvailable,
  GATEWAY_HOOK_TIMEOUT,
  startGateway,
} from "./harness/gateway.js";

interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  payload?: Record<string, unknown>;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** A bare protocol-v4 session for checking the harness itself (the product client lives in src/gateway/). */
async function rawSession(gateway: TestGateway) {
  const ws = new WebSocket(gateway.wsUrl, { perMessageDeflate: false });
  const frames: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    for (const w of waiters.filter((x) => x.match(frame))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(frame);
    }
  });
  const next = (match: (f: Frame) => boolean, timeoutMs = 30_000) =>
    new Promise<Frame>((resolve, reject) => {
      const seen = frames.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error("timed out waiting for a frame")), timeoutMs);
      waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  const call = (method: string, params: object) => {
    const id = randomUUID();
    ws.send(JSON.stringify({ type: "req", id, method, params }));
    return next((f) => f.type === "res" && f.id === id);
  };
  await next((f) => f.event === "connect.challenge");
  const hello = await call("connect", {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: "gateway-client", version: "0.1.0", platform: "linux", mode: "backend" },
    role: "operator",
    scopes: ["operator.read", "operator.write", "operator.admin"],
    caps: [],
    auth: { token: gateway.token },
    locale: "en-US",
    userAgent: "clawops-test",
  });
  return { ws, hello, call, next };
}

describe.runIf(gatewayRuntimeAvailable())("real-gateway harness", () => {
  let llm: FakeLlm;
  let gateway: TestGateway;

  beforeAll(async () => {
    llm = await startFakeLlm();
    gateway = await startGateway({ llmBaseUrl: llm.baseUrl });
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    await gateway?.stop();
    await llm?.close();
  });
  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(`gateway log tail:\n${gateway?.logTail()}`);
  });

  it("boots an isolated gateway on loopback that answers its probes", async () => {
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({
      ok: true,
      status: "live",
    });
    const startup = (await (await fetch(`${gateway.url}/startupz`)).json()) as {
      status: string;
      version: string;
    };
    expect(startup).toMatchObject({ status: "started", version: GATEWAY_RUNTIME.version });
    const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as {
      ready: boolean;
      eventLoop: { delayP99Ms: number };
    };
    expect(ready.ready).toBe(true);
    expect(typeof ready.eventLoop.delayP99Ms).toBe("number");
    console.log(`gateway booted to /readyz in ${gateway.bootMs}ms`);
  });

  it("is read correctly by clawops's HTTP probes", async () => {
    const report = await probeGatewayHttp(gateway.url);
    expect(report).toMatchObject({
      isOpenClaw: true,
      live: true,
      started: true,
      ready: true,
      version: GATEWAY_RUNTIME.version,
      failing: [],
    });
    expect(report.uptimeMs).toBeGreaterThan(0);
    // Right after boot on two cores the gateway may call its event loop degraded while ready.
    expect(typeof report.eventLoop?.degraded).toBe("boolean");
    expect(report.eventLoop?.delayP99Ms).toBeGreaterThanOrEqual(0);
    for (const result of Object.values(report.probes))
      expect(result).toMatchObject({ ok: true, status: 200 });
  });

  it("runs a real chat turn through the fake LLM", async () => {
    const session = await rawSession(gateway);
    try {
      expect(session.hello.ok).toBe(true);
      expect(session.hello.payload).toMatchObject({
        type: "hello-ok",
        protocol: 4,
        server: { version: "2026.9.6" },
      });
      const idempotencyKey = randomUUID();
      const ack = await session.call("chat.send", {
        sessionKey: "main",
        message: "Say hello.",
        idempotencyKey,
      });
      expect(ack.ok).toBe(true);
      expect(ack.payload).toMatchObject({ runId: idempotencyKey });
      const final = await session.next(
        (f) =>
          f.event === "chat" && ["final", "error", "aborted"].includes(String(f.payload?.state)),
        60_000,
      );
      expect(final.payload?.state).toBe("final");
      expect(JSON.stringify(final.payload)).toContain(FAKE_LLM_TEXT);

      const completions = llm.requests.filter((r) => r.path.endsWith("/chat/completions"));
      expect(completions.length).toBeGreaterThanOrEqual(1);
      const sent = completions.at(-1)!;
      expect(sent.authorized).toBe(true);
      expect(sent.body).toMatchObject({
        model: "fake-model",
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(sent.body?.tools?.length).toBeGreaterThan(0);
    } finally {
      session.ws.close();
    }
  }, 90_000);

  it("connects the protocol client with the token and calls health, status and agent", async () => {
    const client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    try {
      expect(client.hello).toMatchObject({
        protocol: 4,
        server: { version: GATEWAY_RUNTIME.version },
      });
      expect(client.hello.auth.scopes).toContain("operator.admin");
      const health = await client.request("health", {}, z.looseObject({ ok: z.boolean() }));
      expect(health.ok).toBe(true);
      const status = await client.request("status", {}, z.looseObject({}));
      expect(Object.keys(status).length).toBeGreaterThan(0);
      // The agent method answers twice with one id: accepted, then the final result.
      const final = await client.request(
        "agent",
        { message: "Say hi.", sessionKey: "agent:main:client-test", idempotencyKey: randomUUID() },
        z.looseObject({ status: z.string(), result: z.unknown() }),
        { expectFinal: true, timeoutMs: 60_000 },
      );
      expect(final.status).toBe("ok");
      expect(JSON.stringify(final.result)).toContain(FAKE_LLM_TEXT);
      // A shape clawops does not expect is an error naming the method and the field.
      const wrong = await client
        .request("health", {}, z.object({ ok: z.string() }))
        .catch((e: unknown) => e as OpsError);
      expect(wrong).toMatchObject({ code: "GATEWAY_BAD_RESPONSE" });
      expect((wrong as OpsError).message).toMatch(/^health answered an unexpected shape: at ok: /);
      // Frames over the gateway's maxPayload are refused before sending; the connection stays usable.
      const huge = "x".repeat(client.hello.policy.maxPayload + 1);
      await expect(client.request("health", { huge }, z.unknown())).rejects.toMatchObject({
        code: "PAYLOAD_TOO_LARGE",
      });
      expect((await client.request("health", {}, z.looseObject({ ok: z.boolean() }))).ok).toBe(
        true,
      );
    } finally {
      client.close();
    }
  }, 90_000);

  it("runs a tool-call turn: the gateway executes the tool and sends its result back to the LLM", async () => {
    const client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    try {
      const before = llm.requests.length;
      llm.enqueue(
        { toolCall: { name: "ls", arguments: { path: "." } } },
        { text: "Listed the workspace." },
      );
      const final = new Promise<unknown>((resolve) =>
        client.onEvent((e) => {
          const state = (e.payload as { state?: string } | undefined)?.state;
          if (e.event === "chat" && (state === "final" || state === "error")) resolve(e.payload);
        }),
      );
      await client.request(
        "chat.send",
        {
          sessionKey: "agent:main:tools",
          message: "List the files.",
          idempotencyKey: randomUUID(),
        },
        z.looseObject({ runId: z.string() }),
      );
      const payload = await final;
      expect(JSON.stringify(payload)).toContain("Listed the workspace.");
      const turn = llm.requests.slice(before).filter((r) => r.path.endsWith("/chat/completions"));
      expect(turn.length).toBe(2);
      const toolResult = turn[1]!.body?.messages?.find((m) => m.role === "tool");
      expect(toolResult).toBeDefined();
    } finally {
      client.close();
    }
  }, 90_000);

  it("reports a wrong token and a protocol mismatch clearly", async () => {
    const badToken = await GatewayClient.connect({
      url: gateway.wsUrl,
      token: "not-the-token",
    }).catch((e: unknown) => e);
    expect(badToken).toBeInstanceOf(OpsError);
    expect(badToken).toMatchObject({
      code: "GATEWAY_AUTH_REJECTED",
      details: { code: "AUTH_TOKEN_MISMATCH" },
    });
    expect((badToken as OpsError).message).toMatch(
      /^token rejected by gateway \(AUTH_TOKEN_MISMATCH\)/,
    );
    const mismatch = await GatewayClient.connect({
      url: gateway.wsUrl,
      token: gateway.token,
      minProtocol: 99,
      maxProtocol: 99,
    }).catch((e: unknown) => e);
    expect(mismatch).toMatchObject({ code: "GATEWAY_PROTOCOL_MISMATCH" });
    expect((mismatch as OpsError).message).toBe(
      "protocol mismatch: the gateway speaks protocol 4, clawops offered 99-99",
    );
  });

  it("reconnects by itself when the gateway restarts", async () => {
    const client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    const statuses: string[] = [];
    client.onStatus((s) => statuses.push(s));
    const firstBoot = client.hello.server.bootId;
    try {
      const reconnected = new Promise<void>((resolve) =>
        client.onStatus((s) => s === "connected" && resolve()),
      );
      const dropped = new Promise<void>((resolve) =>
        client.onStatus((s) => s === "reconnecting" && resolve()),
      );
      await client.request(
        "gateway.restart.request",
        { reason: "clawops test" },
        z.looseObject({ ok: z.boolean() }),
      );
      // A call made while the gateway restarts fails at once with a retryable error.
      await dropped;
      await expect(client.request("health", {}, z.unknown())).rejects.toMatchObject({
        code: "GATEWAY_CLOSED",
        retryable: true,
      });
      await reconnected;
      expect(statuses).toEqual(["reconnecting", "connected"]);
      expect(client.hello.server.bootId).not.toBe(firstBoot);
      expect((await client.request("health", {}, z.looseObject({ ok: z.boolean() }))).ok).toBe(
        true,
      );
    } finally {
      client.close();
    }
  }, 90_000);

  // Last: it kills the shared gateway.
  it("stops the whole process group and removes its folder", async () => {
    const { pid, dir } = gateway;
    // A call in flight when the gateway dies fails with a retryable error, and the client keeps trying.
    const client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    const statuses: string[] = [];
    client.onStatus((s) => statuses.push(s));
    const inFlight = client
      .request("agent.wait", { runId: "none", timeoutMs: 20_000 }, z.unknown(), {
        timeoutMs: 25_000,
      })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(-pid, "SIGKILL");
    expect(await inFlight).toMatchObject({ code: "GATEWAY_CLOSED", retryable: true });
    expect(statuses).toEqual(["reconnecting"]);
    client.close();
    await gateway.stop();
    expect(isPidAlive(pid)).toBe(false);
    expect(liveGroupMembers(pid)).toEqual([]);
    const { existsSync } = await import("node:fs");
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});
