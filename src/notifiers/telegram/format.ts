import type { InlineKeyboardMarkup } from "grammy/types";
import { formatDurationMs } from "../../core/duration.js";
import type { BotStatusLine, Notification, NotificationKind } from "../../core/notification.js";
import type {
  RepairActionRecord,
  RepairOutcome,
  RepairPause,
  RepairRecord,
  RepairStats,
} from "../../core/repair.js";

/**
 * Telegram rejects messages over 4096 characters (counted after HTML parsing);
 * measuring the HTML itself is a conservative bound.
 */
export const MAX_MESSAGE_CHARS = 4096;
/** Telegram's limit on an inline button's callback data, in bytes. */
export const MAX_CALLBACK_BYTES = 64;

export const KIND_EMOJI: Record<NotificationKind, string> = {
  recovered: "✅",
  down: "🔴",
  escalated: "🚨",
  warning: "⚠️",
  info: "ℹ️",
};

const OUTCOME_EMOJI: Record<RepairOutcome, string> = {
  running: "🔧",
  recovered: "✅",
  escalated: "🚨",
  skipped: "⏭",
  planned: "📝",
  interrupted: "⏹",
};

const ACTION_EMOJI: Record<RepairActionRecord["status"], string> = {
  ok: "✅",
  failed: "❌",
  skipped: "⏭",
  rejected: "⛔",
  planned: "📝",
};

/** The characters Telegram's HTML parse mode needs escaped (it knows no other entities). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A notification as a Telegram HTML message; the detail is cut first when it is too long. */
export function renderNotification(notification: Notification): string {
  const head = [`${KIND_EMOJI[notification.kind]} <b>${escapeHtml(notification.title)}</b>`];
  head.push(...notification.lines.map(escapeHtml));
  if (notification.repairId) head.push(`repair <code>${escapeHtml(notification.repairId)}</code>`);
  return fitMessage(
    head,
    notification.detail ? { text: notification.detail, keep: "head" } : undefined,
  );
}

/**
 * The buttons under a notification about a bot. A button whose callback data
 * would exceed Telegram's 64 bytes (a very long bot name) is left out rather
 * than sent broken.
 */
export function notificationKeyboard(
  bot: string | null,
  approval?: { id: string },
): InlineKeyboardMarkup | undefined {
  if (bot === null) return undefined;
  const button = (text: string, data: string) =>
    Buffer.byteLength(data) <= MAX_CALLBACK_BYTES ? [{ text, callback_data: data }] : [];
  if (approval) {
    // The id's first 12 characters: a UUID in full would not fit beside a long bot name.
    const id = approval.id.slice(0, 12);
    const row = [
      ...button("✅ Allow once", `approve:${bot}:${id}`),
      ...button("❌ Deny", `deny:${bot}:${id}`),
    ];
    return { inline_keyboard: row.length > 0 ? [row] : [] };
  }
  const rows = [
    [...button("🔧 Repair now", `repair:${bot}`), ...button("📜 View logs", `logs:${bot}`)],
    [...button("⏸ Pause", `pause:${bot}`), ...button("📊 Stats", "stats")],
  ].filter((row) => row.length > 0);
  return { inline_keyboard: rows };
}

const STATE_EMOJI: Record<string, string> = {
  running: "🟢",
  degraded: "🟡",
  starting: "🔄",
  stopping: "🔄",
  stopped: "⚪",
  backoff: "🟠",
  crashed: "🔴",
  failed: "🔴",
  "host unreachable": "🔌",
};

/** `/status`: one block per bot. `nowMs` turns `since` into "for 5m03s". */
export function renderStatus(bots: readonly BotStatusLine[], nowMs: number): string {
  if (bots.length === 0) return "No bots registered.";
  const blocks = bots.map((bot) => {
    const lines = [
      `${STATE_EMOJI[bot.state] ?? "❔"} <b>${escapeHtml(bot.name)}</b> ${escapeHtml(bot.state)}${bot.paused ? " · ⏸ paused" : ""}`,
    ];
    const facts = [`port ${bot.port}`, bot.pid === null ? "no pid" : `pid ${bot.pid}`];
    facts.push(`${bot.restarts} ${bot.restarts === 1 ? "restart" : "restarts"}`);
    const sinceMs = Date.parse(bot.since);
    if (Number.isFinite(sinceMs))
      facts.push(`for ${formatDurationMs(Math.max(0, nowMs - sinceMs))}`);
    lines.push(facts.join(" · "));
    if (bot.reason) lines.push(`<i>${escapeHtml(bot.reason)}</i>`);
    return lines.join("\n");
  });
  return fitMessage([blocks.join("\n\n")]);
}

/** A repair's outcome: summary, every action with its status and duration, the timings. */
export function renderRepair(record: RepairRecord): string {
  const tier = record.tier === 0 ? "" : ` · tier ${record.tier}`;
  const head = [
    `${OUTCOME_EMOJI[record.outcome]} <b>${escapeHtml(record.botName)}: ${record.outcome}</b>${tier}`,
    escapeHtml(record.summary),
    `Cause: ${escapeHtml(record.trigger)}${record.cause ? ` (${escapeHtml(record.cause)})` : ""}`,
  ];
  if (record.actions.length > 0) {
    head.push("Actions:");
    for (const action of record.actions) {
      const detail = action.detail ? `: ${escapeHtml(action.detail)}` : "";
      head.push(
        `${ACTION_EMOJI[action.status]} ${escapeHtml(action.action)} (tier ${action.tier}, ${action.status}, ${formatDurationMs(action.durationMs)})${detail}`,
      );
    }
  }
  const timings = [
    span("detected after", record.faultAt, record.detectedAt),
    span("recovered after", record.detectedAt, record.recoveredAt),
    span("took", record.startedAt, record.endedAt),
  ].filter((t) => t !== null);
  if (timings.length > 0) head.push(capitalize(timings.join(" · ")));
  head.push(
    `Started by ${escapeHtml(record.startedBy)} · repair <code>${escapeHtml(record.id)}</code>`,
  );
  return fitMessage(head);
}

/** `/history`: newest first as the store returns them, two lines each. */
export function renderHistory(records: readonly RepairRecord[], bot: string | undefined): string {
  if (records.length === 0)
    return bot ? `No repairs of ${escapeHtml(bot)} yet.` : "No repairs yet.";
  const head = [`🗂 <b>Repair history</b>${bot ? ` · ${escapeHtml(bot)}` : ""}`];
  for (const record of records) {
    const tier = record.tier === 0 ? "" : ` (tier ${record.tier})`;
    const tookMs = elapsedMs(record.startedAt, record.endedAt);
    const took = tookMs === null ? "" : ` · ${formatDurationMs(tookMs)}`;
    head.push(
      `${OUTCOME_EMOJI[record.outcome]} <code>${formatTimestamp(record.startedAt)}</code> <b>${escapeHtml(record.botName)}</b> ${escapeHtml(record.trigger)} → ${record.outcome}${tier}${took}`,
      `    ${escapeHtml(record.summary)}`,
    );
  }
  return fitMessage(head);
}

export function renderStats(stats: RepairStats, bot: string | undefined): string {
  const rate = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(1)}%`);
  const mean = (value: number | null) => (value === null ? "n/a" : formatDurationMs(value));
  return [
    `📊 <b>Repair stats</b> · ${bot ? escapeHtml(bot) : "fleet"}`,
    `Repairs: ${stats.total} (${stats.recovered} recovered, ${stats.escalated} escalated) · ${stats.skipped} skipped`,
    `Success rate: ${rate(stats.successRate)} · escalation rate: ${rate(stats.escalationRate)}`,
    `Mean time to detect: ${mean(stats.meanTimeToDetectMs)} · to recover: ${mean(stats.meanTimeToRecoverMs)}`,
    `Recovered by tier: 1: ${stats.byTier["1"]} · 2: ${stats.byTier["2"]} · 3: ${stats.byTier["3"]}`,
  ].join("\n");
}

export function renderPause(pause: RepairPause, bot: string | null): string {
  const what = bot === null ? "fleet-wide" : `for <b>${escapeHtml(bot)}</b>`;
  return `⏸ Automatic repairs paused ${what} by ${escapeHtml(pause.by)}: ${escapeHtml(pause.reason)}`;
}

export function renderResume(resumed: boolean, bot: string | null): string {
  const what = bot === null ? "fleet-wide" : `for <b>${escapeHtml(bot)}</b>`;
  if (resumed) return `▶️ Automatic repairs resumed ${what}.`;
  return `ℹ️ Repairs were not paused ${what}.`;
}

/** `/logs`: the newest lines are the ones kept when they do not all fit. */
export function renderLogs(bot: string, lines: readonly string[]): string {
  if (lines.length === 0) return `No log lines for <b>${escapeHtml(bot)}</b>.`;
  return fitMessage([`📜 <b>${escapeHtml(bot)}</b> · last ${lines.length} log lines`], {
    text: lines.join("\n"),
    keep: "tail",
  });
}

export function renderConfig(lines: readonly string[]): string {
  return fitMessage(["⚙️ <b>clawops settings</b>", ...lines.map(escapeHtml)]);
}

export function renderError(message: string): string {
  return `⚠️ ${escapeHtml(message)}`;
}

/**
 * Joins HTML lines and an optional preformatted block into one message of at
 * most {@link MAX_MESSAGE_CHARS}: the block is cut first (keeping its start or
 * its end), then trailing lines.
 */
export function fitMessage(
  lines: readonly string[],
  pre?: { text: string; keep: "head" | "tail" },
): string {
  const text = lines.join("\n");
  if (pre) {
    const frame = text.length + "\n<pre></pre>".length;
    const block = cutEscaped(pre.text, MAX_MESSAGE_CHARS - frame, pre.keep);
    if (block !== null) return `${text}\n<pre>${block}</pre>`;
  }
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  const kept: string[] = [];
  let length = 0;
  const marker = "\n…";
  for (const line of lines) {
    if (length + line.length + 1 + marker.length > MAX_MESSAGE_CHARS) break;
    kept.push(line);
    length += line.length + 1;
  }
  // A single line longer than the limit: cut it as text (its HTML may be unbalanced, so strip it).
  if (kept.length === 0) {
    const plain = unescapeHtml(lines[0]!.replace(/<[^>]*>/g, ""));
    return cutEscaped(plain, MAX_MESSAGE_CHARS, "head") ?? "…";
  }
  return `${kept.join("\n")}${marker}`;
}

function unescapeHtml(html: string): string {
  return html.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/**
 * Escapes `text` and cuts it to at most `budget` characters of HTML, marking
 * the cut with "…". Null when not even the marker fits.
 */
function cutEscaped(text: string, budget: number, keep: "head" | "tail"): string | null {
  const whole = escapeHtml(text);
  if (whole.length <= budget) return whole;
  const marker = keep === "head" ? "\n…" : "…\n";
  let chars = budget - marker.length;
  while (chars > 0) {
    let part = keep === "head" ? text.slice(0, chars) : text.slice(text.length - chars);
    // Never leave half of a surrogate pair (an emoji) at the cut.
    if (keep === "head" && /[\uD800-\uDBFF]$/.test(part)) part = part.slice(0, -1);
    if (keep === "tail" && /^[\uDC00-\uDFFF]/.test(part)) part = part.slice(1);
    const escaped = escapeHtml(part);
    if (escaped.length + marker.length <= budget) {
      return keep === "head" ? `${escaped}${marker}` : `${marker}${escaped}`;
    }
    // Escapes grow text up to fivefold: shrink in proportion, at least by one.
    chars = Math.min(chars - 1, Math.floor((chars * (budget - marker.length)) / escaped.length));
  }
  return null;
}

function elapsedMs(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function span(label: string, from: string | null, to: string | null): string | null {
  const ms = elapsedMs(from, to);
  return ms === null ? null : `${label} ${formatDurationMs(ms)}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `2026-05-01 12:34Z`: minutes are enough in a chat, and UTC avoids guessing the reader's zone. */
function formatTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeHtml(iso);
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")}Z`;
}
