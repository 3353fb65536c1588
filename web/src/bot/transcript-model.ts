import type { MessageRecord, ToolCall } from "../../../src/core/session.js";

/** A tool call with the result that answered it (null while it has none). */
export interface CallWithResult {
  call: ToolCall;
  result: MessageRecord | null;
}

/** What a transcript shows per line: a message with its tool calls, each beside its result. */
export interface TranscriptItem {
  message: MessageRecord;
  calls: CallWithResult[];
}

/**
 * The transcript as it reads: each assistant message's tool calls paired with
 * the tool results that answer them (by call id), so a result is shown under
 * its call and not again on its own; a result whose call is not in view stays
 * a line of its own.
 */
export function transcriptItems(messages: readonly MessageRecord[]): TranscriptItem[] {
  const results = new Map<string, MessageRecord>();
  for (const m of messages) if (m.role === "tool" && m.toolCallId) results.set(m.toolCallId, m);
  const paired = new Set<MessageRecord>();
  const items: TranscriptItem[] = [];
  for (const message of messages) {
    const calls = message.toolCalls.map((call) => {
      const result = (call.id && results.get(call.id)) || null;
      if (result) paired.add(result);
      return { call, result };
    });
    items.push({ message, calls });
  }
  return items.filter((item) => !paired.has(item.message));
}

/** Items whose text, tool names, arguments or results contain `query` (case-insensitive). */
export function searchTranscript(
  items: readonly TranscriptItem[],
  query: string,
): TranscriptItem[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...items];
  return items.filter(({ message, calls }) =>
    [
      message.text,
      ...calls.flatMap(({ call, result }) => [call.name, call.arguments, result?.text ?? ""]),
    ].some((field) => field.toLowerCase().includes(q)),
  );
}

/** Tool arguments as one short line (collapsed), the whole pretty JSON when opened. */
export function argumentsPreview(text: string, max = 80): { short: string; full: string } {
  let full = text;
  try {
    full = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON (cut at the size limit, or a model's free text): shown as it came.
  }
  const flat = text.replace(/\s+/g, " ");
  return { short: flat.length > max ? `${flat.slice(0, max - 1)}…` : flat, full };
}
