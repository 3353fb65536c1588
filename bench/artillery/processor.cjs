// Artillery driving an OpenClaw gateway's protocol v4, for bench/load.ts: the same handshake
// clawops load does (connect as a loopback backend client with the token; the challenge's
// nonce is not signed in that mode), then chat.send and the turn's chat events to its final
// frame. Artillery's own `send` with `match` looks at the next frame only, and a gateway
// interleaves other events, so the steps are functions on Artillery's WebSocket.
"use strict";
const { randomUUID } = require("node:crypto");

let nextId = 0;

/** Resolves with the first frame `accept` takes, or rejects after `timeoutMs`. */
function waitFor(ws, accept, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.removeListener("message", onMessage);
      reject(new Error("timeout"));
    }, timeoutMs);
    function onMessage(data) {
      const frame = JSON.parse(data.toString());
      if (!accept(frame)) return;
      clearTimeout(timer);
      ws.removeListener("message", onMessage);
      resolve(frame);
    }
    ws.on("message", onMessage);
  });
}

async function handshake(context, events) {
  const started = performance.now();
  const ws = context.ws;
  const hello = waitFor(ws, (f) => f.type === "res" && f.id === "connect", 15_000);
  ws.send(
    JSON.stringify({
      type: "req",
      id: "connect",
      method: "connect",
      params: {
        minProtocol: 4,
        maxProtocol: 4,
        client: { id: "gateway-client", version: "bench", platform: "linux", mode: "backend" },
        role: "operator",
        scopes: ["operator.read", "operator.write", "operator.admin"],
        caps: [],
        auth: { token: context.vars.token },
      },
    }),
  );
  const frame = await hello;
  if (!frame.ok) throw new Error(`connect refused: ${frame.error && frame.error.code}`);
  events.emit("histogram", "openclaw.connect_ms", performance.now() - started);
}

async function chat(context, events) {
  const ws = context.ws;
  const runId = randomUUID();
  const sessionKey = `agent:main:artillery-${context._uid}`;
  const sent = performance.now();
  const ended = waitFor(
    ws,
    (f) =>
      f.type === "event" &&
      f.event === "chat" &&
      f.payload.runId === runId &&
      ["final", "error", "aborted"].includes(f.payload.state),
    120_000,
  );
  ws.send(
    JSON.stringify({
      type: "req",
      id: String(++nextId),
      method: "chat.send",
      params: {
        sessionKey,
        message: "Load test message: reply with one short sentence.",
        idempotencyKey: runId,
      },
    }),
  );
  const frame = await ended;
  if (frame.payload.state !== "final") throw new Error(`turn ${frame.payload.state}`);
  events.emit("histogram", "openclaw.reply_ms", performance.now() - sent);
  events.emit("counter", "openclaw.replies", 1);
}

module.exports = { handshake, chat };
