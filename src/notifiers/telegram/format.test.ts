import { describe, expect, it } from "vitest";
import type { Notification } from "../../core/notification.js";
import {
  MAX_MESSAGE_CHARS,
  escapeHtml,
  fitMessage,
  notificationKeyboard,
  renderLogs,
  renderNotification,
} from "./format.js";

const base: Notification = {
  kind: "info",
  bot: "bot-a",
  title: "title",
  lines: [],
  dedupeKey: "k",
  ts: "2026-05-01T12:00:00.000Z",
};

describe("Telegram rendering", () => {
  it("renders a recovery with its emoji, lines and repair id", () => {
    expect(
      renderNotification({
        ...base,
        kind: "recovered",
        title: "bot-a recovered in 12.4s (tier 1: restart)",
        lines: ["cause: killed by SIGKILL", "restart: ok in 2.1s"],
        repairId: "rep_1",
      }),
    ).toBe(
      [
        "✅ <b>bot-a recovered in 12.4s (tier 1: restart)</b>",
        "cause: killed by SIGKILL",
        "restart: ok in 2.1s",
        "repair <code>rep_1</code>",
      ].join("\n"),
    );
  });

  it("escapes HTML everywhere and puts the detail in a pre block", () => {
    expect(
      renderNotification({
        ...base,
        kind: "escalated",
        title: "bot-a: <every> tier failed & escalated",
        lines: ["a <b>bold</b> claim"],
        detail: "port 18789 <held> by pid 4242",
      }),
    ).toBe(
      [
        "🚨 <b>bot-a: &lt;every&gt; tier failed &amp; escalated</b>",
        "a &lt;b&gt;bold&lt;/b&gt; claim",
        "<pre>port 18789 &lt;held&gt; by pid 4242</pre>",
      ].join("\n"),
    );
  });

  it("has an emoji for every kind", () => {
    const firstLine = (kind: Notification["kind"]) =>
      renderNotification({ ...base, kind }).split(" ")[0];
    expect(
      ["recovered", "down", "escalated", "warning", "info"].map((k) =>
        firstLine(k as Notification["kind"]),
      ),
    ).toEqual(["✅", "🔴", "🚨", "⚠️", "ℹ️"]);
  });

  it("cuts the detail first to stay under 4096 characters, counting escapes", () => {
    const text = renderNotification({
      ...base,
      lines: ["keep me"],
      detail: "<&>".repeat(5_000),
    });
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(text).toContain("keep me");
    expect(text).toMatch(
      /^ℹ️ <b>title<\/b>\nkeep me\n<pre>(&lt;&amp;&gt;)+(&lt;|&lt;&amp;)?\n…<\/pre>$/,
    );
  });

  it("drops trailing lines when even without the detail it is too long", () => {
    const text = renderNotification({
      ...base,
      lines: Array.from({ length: 500 }, (_, i) => `line ${i} ${"x".repeat(20)}`),
      detail: "gone",
    });
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(text).not.toContain("<pre>");
    expect(text.startsWith("ℹ️ <b>title</b>\nline 0")).toBe(true);
    expect(text.endsWith("\n…")).toBe(true);
  });

  it("never splits an emoji when cutting", () => {
    const text = fitMessage(["head"], { text: "😀".repeat(3_000), keep: "head" });
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("keeps the newest log lines", () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => `log line ${i}`);
    const text = renderLogs("bot-a", lines);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(text).toContain("<pre>…\n");
    expect(text.endsWith("log line 1999</pre>")).toBe(true);
  });

  it("offers the four buttons for a bot, none for the fleet", () => {
    expect(notificationKeyboard("bot-a")).toEqual({
      inline_keyboard: [
        [
          { text: "🔧 Repair now", callback_data: "repair:bot-a" },
          { text: "📜 View logs", callback_data: "logs:bot-a" },
        ],
        [
          { text: "⏸ Pause", callback_data: "pause:bot-a" },
          { text: "📊 Stats", callback_data: "stats" },
        ],
      ],
    });
    expect(notificationKeyboard("bot-a", { id: "0123456789abcdef-rest" })).toEqual({
      inline_keyboard: [
        [
          { text: "✅ Allow once", callback_data: "approve:bot-a:0123456789ab" },
          { text: "❌ Deny", callback_data: "deny:bot-a:0123456789ab" },
        ],
      ],
    });
    expect(notificationKeyboard(null)).toBeUndefined();
  });

  it("leaves out buttons whose callback data would pass 64 bytes", () => {
    const name = "b".repeat(58); // "logs:" + 58 = 63 bytes fits; "repair:" + 58 = 65 does not.
    const buttons = notificationKeyboard(name)!.inline_keyboard.flat();
    expect(buttons.map((b) => ("callback_data" in b ? b.callback_data : "")).sort()).toEqual(
      [`logs:${name}`, `pause:${name}`, "stats"].sort(),
    );
    for (const b of buttons) {
      expect(
        Buffer.byteLength("callback_data" in b ? (b.callback_data ?? "") : ""),
      ).toBeLessThanOrEqual(64);
    }
  });

  it("escapes only what Telegram's HTML needs", () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe(`&lt;a href="x"&gt;&amp;'&lt;/a&gt;`);
  });
});
