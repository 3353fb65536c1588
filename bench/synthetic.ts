import type { MessageRecord } from "../src/core/session.js";

/** Synthetic conversation messages for the benches that fill a store (ingest, backup). */

const WORDS = "the gateway agent replied with a summary of logs tool call result error retry".split(
  " ",
);

/** Words up to about `bytes` long: text that compresses and compares like prose. */
function prose(bytes: number, seed: number): string {
  const out: string[] = [];
  let length = 0;
  for (let i = seed; length < bytes; i = (i * 1_103_515_245 + 12_345) % 2 ** 31) {
    const word = WORDS[i % WORDS.length]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(" ");
}

/** Message `seq` of a session: even seqs the user's, odd ones the assistant's with usage. */
export function syntheticMessage(
  botId: string,
  sessionId: string,
  seq: number,
  i: number,
  start: number,
): MessageRecord {
  const assistant = seq % 2 === 1;
  const text = prose(100 + ((i * 37) % 600), i);
  return {
    botId,
    sessionId,
    seq,
    role: assistant ? "assistant" : "user",
    text,
    textBytes: Buffer.byteLength(text),
    toolCalls:
      assistant && seq % 4 === 1
        ? [{ id: `call-${i}`, name: "exec", arguments: '{"command":"ls -la /srv"}' }]
        : [],
    toolCallId: null,
    isError: false,
    costSource: assistant ? "gateway" : null,
    usage: assistant
      ? {
          input: 1_200 + (i % 800),
          output: 150 + (i % 300),
          cacheRead: 4_000,
          cacheWrite: 0,
          costUsd: 0.0042,
        }
      : null,
    stopReason: assistant ? "stop" : null,
    model: assistant ? "anthropic/claude-opus-4-6" : null,
    latencyMs: assistant ? 900 + (i % 2_000) : null,
    at: new Date(start + i * 1_000).toISOString(),
  };
}
