import WebSocket from "ws";
import { z } from "zod";
import { duration } from "../../core/duration.js";
import { errorMessage } from "../../core/errors.js";
import { type ReadinessFinding, componentSchema, defineCheck, envName } from "../check.js";
import { shownUrl } from "../redact.js";

const schema = componentSchema(
  "webrtc-signalling",
  { weight: 1, timeout: "10s" },
  {
    /** The signalling server's WebSocket: `wss://host/path` or `ws://...`. */
    url: z.string().regex(/^wss?:\/\/[^\s]+$/, { error: "expected a ws:// or wss:// URL" }),
    /** A text frame sent once open (a join or ping message, JSON as text); none by default. */
    send: z.string().min(1).max(4096).optional(),
    /** With `send`: a reply must contain this text; any reply does when absent. */
    expect: z.string().min(1).optional(),
    /** With `send`: how long to wait for the reply. */
    replyTimeout: duration("5s"),
    /** The variable holding a bearer token for the upgrade request. */
    tokenEnv: envName.optional(),
  },
);

/**
 * The WebRTC signalling server: its WebSocket upgrade succeeds and, when a
 * message is configured, it answers one within `replyTimeout`.
 */
export const webrtcSignalling = defineCheck({
  id: "webrtc-signalling",
  title: "WebRTC signalling",
  schema,
  target: (config) => shownUrl(config.url),
  async run(config, deps, signal): Promise<ReadinessFinding> {
    const token = config.tokenEnv ? deps.env[config.tokenEnv] : undefined;
    const started = performance.now();
    const socket = new WebSocket(config.url, {
      handshakeTimeout: config.timeout,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const abort = () => socket.terminate();
    signal.addEventListener("abort", abort, { once: true });
    try {
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
          socket.once("unexpected-response", (_req, res) =>
            reject(new Error(`HTTP ${res.statusCode} to the WebSocket upgrade`)),
          );
        });
      } catch (error) {
        return {
          status: "fail",
          summary: `no WebSocket at ${shownUrl(config.url)}: ${errorMessage(error)}`,
          fix: /HTTP \d+/.test(errorMessage(error))
            ? "the URL answers but does not upgrade: check the path, and that a proxy forwards Upgrade and Connection"
            : "is the signalling server running at the URL?",
        };
      }
      const openMs = Math.round(performance.now() - started);
      const evidence = {
        ...(socket.protocol ? { protocol: socket.protocol } : {}),
        sent: config.send !== undefined,
      };
      if (config.send === undefined) {
        return {
          status: "pass",
          summary: "the WebSocket upgrade succeeds",
          evidence,
          timings: { openMs },
        };
      }
      const sentAt = performance.now();
      const reply = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), config.replyTimeout);
        const onMessage = (data: WebSocket.RawData) => {
          const text = Array.isArray(data)
            ? Buffer.concat(data).toString("utf8")
            : Buffer.from(data as ArrayBuffer).toString("utf8");
          if (config.expect !== undefined && !text.includes(config.expect)) return;
          clearTimeout(timer);
          socket.off("message", onMessage);
          resolve(text);
        };
        socket.on("message", onMessage);
        socket.once("close", () => {
          clearTimeout(timer);
          resolve(null);
        });
        socket.send(config.send!);
      });
      if (reply === null) {
        return {
          status: "fail",
          summary: `no ${config.expect === undefined ? "" : `"${config.expect}" `}reply within ${config.replyTimeout} ms of the message`,
          evidence,
          fix: "the server accepts connections but does not answer the join message: check its log and the message's format (send)",
          timings: { openMs },
        };
      }
      return {
        status: "pass",
        summary: `the WebSocket upgrade succeeds and the server answers the message within ${config.replyTimeout} ms`,
        evidence: { ...evidence, reply: reply.slice(0, 120) },
        timings: { openMs, replyMs: Math.round(performance.now() - sentAt) },
      };
    } finally {
      signal.removeEventListener("abort", abort);
      socket.terminate();
    }
  },
});
