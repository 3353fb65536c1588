import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { registerSecret } from "../helpers/witness.js";

/** One scripted answer of the fake LLM. */
export type LlmReply =
  | { text: string }
  | { toolCall: { name: string; arguments: Record<string, unknown> } }
  | {
      error: {
        status: number;
        /**
         * The error text; a function builds it from what the gateway sent, the way
         * providers echo a rejected key ("Incorrect API key provided: ...").
         */
        message?: string | ((sent: { authorization: string; body: string }) => string);
      };
    };

/** What the gateway sent, secrets removed. */
export interface LlmRequest {
  method: string;
  path: string;
  authorized: boolean;
  body: {
    model?: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    messages?: { role: string; content: unknown }[];
    tools?: { function?: { name?: string } }[];
  } | null;
}

export interface FakeLlm {
  readonly baseUrl: string;
  readonly requests: LlmRequest[];
  /** Queues answers for the next chat completions, in order; afterwards the default text. */
  enqueue(...replies: LlmReply[]): void;
  /** Delay between streamed chunks (default 5 ms). */
  setChunkDelayMs(ms: number): void;
  /**
   * Pauses every streamed answer after its first words (the connection open,
   * the turn in flight) until the returned function releases them.
   */
  hold(): () => void;
  close(): Promise<void>;
}

export const FAKE_LLM_TEXT = "Hello from the fake LLM.";

/**
 * A local OpenAI-compatible server (the only LLM that exists offline): chat
 * completions streamed as SSE with a final usage chunk, tool calls and errors
 * on demand, configurable latency. Loopback only.
 */
export async function startFakeLlm(apiKey = "sk-local"): Promise<FakeLlm> {
  registerSecret(apiKey, "the fake LLM's API key");
  const requests: LlmRequest[] = [];
  const queue: LlmReply[] = [];
  let chunkDelayMs = 5;
  let held = false;
  let served = 0;

  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const body = parseJson(raw);
      requests.push({
        method: req.method ?? "GET",
        path: req.url ?? "/",
        authorized: req.headers.authorization === `Bearer ${apiKey}`,
        body,
      });
      if (req.method === "GET" && req.url?.endsWith("/models")) {
        return sendJson(res, 200, {
          object: "list",
          data: [{ id: "fake-model", object: "model", owned_by: "clawops-test" }],
        });
      }
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      }
      served += 1;
      const reply = queue.shift() ?? { text: FAKE_LLM_TEXT };
      if ("error" in reply) {
        return sendJson(res, reply.error.status, {
          error: {
            message:
              typeof reply.error.message === "function"
                ? reply.error.message({ authorization: req.headers.authorization ?? "", body: raw })
                : (reply.error.message ?? `simulated ${reply.error.status}`),
            type: "server_error",
          },
        });
      }
      const usage = {
        prompt_tokens: Math.ceil(raw.length / 4),
        completion_tokens: "text" in reply ? reply.text.split(/\s+/).length : 12,
        total_tokens: 0,
      };
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      streamReply(
        res,
        `chatcmpl-fake-${served}`,
        body?.model ?? "fake-model",
        reply,
        usage,
        chunkDelayMs,
        () => held,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setChunkDelayMs: (ms) => {
      chunkDelayMs = ms;
    },
    hold: () => {
      held = true;
      return () => {
        held = false;
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function streamReply(
  res: ServerResponse,
  id: string,
  model: string,
  reply: Exclude<LlmReply, { error: unknown }>,
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
  delayMs: number,
  held: () => boolean,
) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const frames = [chunk({ role: "assistant", content: "" })];
  if ("text" in reply) {
    for (const word of reply.text.split(/(?<= )/)) frames.push(chunk({ content: word }));
    frames.push(chunk({}, "stop"));
  } else {
    const call = {
      index: 0,
      id: `call_${id}`,
      type: "function",
      function: { name: reply.toolCall.name, arguments: "" },
    };
    frames.push(chunk({ tool_calls: [call] }));
    frames.push(
      chunk({
        tool_calls: [
          { index: 0, function: { arguments: JSON.stringify(reply.toolCall.arguments) } },
        ],
      }),
    );
    frames.push(chunk({}, "tool_calls"));
  }
  frames.push(
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`,
  );
  frames.push("data: [DONE]\n\n");
  let next = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (held() && next >= 3) return;
    if (next < frames.length) res.write(frames[next++]);
    else {
      clearInterval(timer);
      res.end();
    }
  }, delayMs);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => resolve(raw));
  });
}

function parseJson(raw: string): LlmRequest["body"] {
  try {
    return raw ? (JSON.parse(raw) as LlmRequest["body"]) : null;
  } catch {
    return null;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
