import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { registerSecret } from "../helpers/witness.js";

/** One Bot API request as the fake saw it (the token is not recorded). */
export interface TelegramCall {
  /** Position in `calls`, so a test can wait for calls made after a point. */
  seq: number;
  method: string;
  params: Record<string, unknown>;
  /** Whether the token in the URL was the right one. */
  authorized: boolean;
}

/** A scripted failure for the next call(s) of a method. */
export interface TelegramFailure {
  status: number;
  description?: string;
  /** Seconds, sent as `parameters.retry_after` (Telegram's flood control). */
  retryAfter?: number;
}

export interface FakeTelegram {
  /** What grammy's `client.apiRoot` should be (no trailing slash). */
  readonly apiRoot: string;
  readonly token: string;
  /** Every call in order, including rejected ones. */
  readonly calls: TelegramCall[];
  /** Queues a text message from `chatId` (a command when it starts with "/"); returns its update id. */
  pushMessage(chatId: number, text: string): number;
  /** Queues a button press on a message in `chatId`; returns its update id. */
  pushCallback(chatId: number, data: string): number;
  /** Makes the next `times` calls of `method` fail like Telegram would. */
  failNext(method: string, failure: TelegramFailure, times?: number): void;
  /**
   * Resolves with the first call (already made or still to come) of `method`
   * that satisfies `predicate`; rejects after `timeoutMs`.
   */
  waitForCall(
    method: string,
    predicate?: (params: Record<string, unknown>, call: TelegramCall) => boolean,
    timeoutMs?: number,
  ): Promise<TelegramCall>;
  close(): Promise<void>;
}

export const FAKE_TELEGRAM_TOKEN = "123456:TEST-fake-telegram-token_abcdefghijkl";

interface Waiter {
  method: string;
  predicate: (params: Record<string, unknown>, call: TelegramCall) => boolean;
  resolve(call: TelegramCall): void;
}

interface Poller {
  offset: number;
  timer: NodeJS.Timeout;
  res: ServerResponse;
}

/**
 * The Telegram Bot API at its wire protocol, on loopback: what grammy calls
 * for notifications, long polling and commands. The only Telegram there is
 * in tests; it never talks to api.telegram.org.
 */
export async function startFakeTelegram(token = FAKE_TELEGRAM_TOKEN): Promise<FakeTelegram> {
  registerSecret(token, "the Telegram bot token");
  const calls: TelegramCall[] = [];
  const updates: { update_id: number; [key: string]: unknown }[] = [];
  const failures = new Map<string, TelegramFailure[]>();
  const waiters: Waiter[] = [];
  const pollers = new Set<Poller>();
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let closed = false;

  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => handle(req, res, raw));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? "/", "http://fake");
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, givenToken, method] = match as unknown as [string, string, string];
    const params = { ...Object.fromEntries(url.searchParams), ...parseBody(req, raw) };
    const call: TelegramCall = {
      seq: calls.length,
      method,
      params,
      authorized: givenToken === token,
    };
    calls.push(call);
    if (!call.authorized) {
      return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    }
    for (const waiter of [...waiters]) {
      if (waiter.method === method && waiter.predicate(params, call)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    }
    const failure = failures.get(method)?.shift();
    if (failure) {
      return reply(res, failure.status, {
        ok: false,
        error_code: failure.status,
        description: failure.description ?? `Simulated ${failure.status}`,
        ...(failure.retryAfter === undefined
          ? {}
          : { parameters: { retry_after: failure.retryAfter } }),
      });
    }
    switch (method) {
      case "getMe":
        return ok(res, {
          id: Number(token.split(":")[0]),
          is_bot: true,
          first_name: "clawops test",
          username: "clawops_test_bot",
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case "getUpdates":
        return getUpdates(res, params);
      case "sendMessage":
      case "editMessageText":
        return ok(res, {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: chat(Number(params.chat_id)),
          text: params.text,
        });
      case "editMessageReplyMarkup":
      case "answerCallbackQuery":
      case "setMyCommands":
      case "deleteWebhook":
        return ok(res, true);
      default:
        return reply(res, 404, {
          ok: false,
          error_code: 404,
          description: "Not Found: method not found",
        });
    }
  }

  function getUpdates(res: ServerResponse, params: Record<string, unknown>) {
    const offset = Number(params.offset ?? 0);
    // A client confirms everything below its offset: Telegram forgets those.
    while (updates.length > 0 && updates[0]!.update_id < offset) updates.shift();
    if (updates.length > 0 || closed) return ok(res, updates.slice(0, Number(params.limit ?? 100)));
    const timeoutSec = Number(params.timeout ?? 0);
    const poller: Poller = {
      offset,
      res,
      timer: setTimeout(() => answerPoller(poller), timeoutSec * 1000),
    };
    pollers.add(poller);
    res.on("close", () => {
      clearTimeout(poller.timer);
      pollers.delete(poller);
    });
  }

  function answerPoller(poller: Poller) {
    clearTimeout(poller.timer);
    pollers.delete(poller);
    if (!poller.res.writableEnded)
      ok(
        poller.res,
        updates.filter((u) => u.update_id >= poller.offset),
      );
  }

  function push(update: Record<string, unknown>): number {
    const updateId = nextUpdateId++;
    updates.push({ update_id: updateId, ...update });
    for (const poller of [...pollers]) answerPoller(poller);
    return updateId;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    pushMessage(chatId, text) {
      const command = /^\/\S+/.exec(text);
      return push({
        message: {
          message_id: nextMessageId++,
          from: user(chatId),
          chat: chat(chatId),
          date: Math.floor(Date.now() / 1000),
          text,
          ...(command
            ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] }
            : {}),
        },
      });
    },
    pushCallback(chatId, data) {
      return push({
        callback_query: {
          id: `cbq-${nextUpdateId}`,
          from: user(chatId),
          chat_instance: `instance-${chatId}`,
          data,
          message: {
            message_id: nextMessageId++,
            chat: chat(chatId),
            date: Math.floor(Date.now() / 1000),
            text: "a notification",
          },
        },
      });
    },
    failNext(method, failure, times = 1) {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(method, queue);
    },
    waitForCall(method, predicate = () => true, timeoutMs = 5_000) {
      const done = calls.find((c) => c.method === method && c.authorized && predicate(c.params, c));
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          method,
          predicate,
          resolve: (call) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const seen = calls
            .filter((c) => c.method === method)
            .map((c) => JSON.stringify(c.params));
          reject(
            new Error(
              `no ${method} call matched within ${timeoutMs} ms; seen: ${seen.join("\n") || "none"}`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close() {
      closed = true;
      for (const poller of [...pollers]) answerPoller(poller);
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function chat(id: number) {
  return id < 0
    ? { id, type: "group", title: `group ${id}` }
    : { id, type: "private", first_name: "Operator" };
}

function user(chatId: number) {
  return { id: Math.abs(chatId), is_bot: false, first_name: "Operator" };
}

function ok(res: ServerResponse, result: unknown) {
  reply(res, 200, { ok: true, result });
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function parseBody(req: IncomingMessage, raw: string): Record<string, unknown> {
  if (raw === "") return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    // Telegram takes JSON-serialized values in form fields (reply_markup, entities).
    return Object.fromEntries(
      [...new URLSearchParams(raw)].map(([key, value]) => [key, parseMaybeJson(value)]),
    );
  }
  const parsed = parseMaybeJson(raw);
  return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}
