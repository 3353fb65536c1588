import type { RepairPause, RepairRecord, RepairStats } from "./repair.js";

/**
 * What clawops tells its operators. Notifiers render it; the hub in front of
 * them deduplicates and rate limits. Never carries secrets.
 */
export const NOTIFICATION_KINDS = ["recovered", "down", "escalated", "warning", "info"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  kind: NotificationKind;
  /** The bot's name, when it concerns one. */
  bot: string | null;
  /** One line: "bot-a recovered in 12.4 s (tier 1: restart)". */
  title: string;
  /** Short lines under the title: evidence, timings, actions. Plain text. */
  lines: string[];
  /** Shown monospaced under the lines (a diff, a log excerpt); may be cut by the notifier. */
  detail?: string;
  /** The repair it reports, for buttons and links. */
  repairId?: string;
  /** The exec approval it asks for (src/approvals/): Allow and Deny buttons. */
  approval?: { id: string };
  /** Two notifications with the same key within the dedupe window are sent once. */
  dedupeKey: string;
  /** ISO 8601. */
  ts: string;
}

/** One bot as an operator sees it in a chat. */
export interface BotStatusLine {
  name: string;
  state: string;
  reason: string;
  port: number;
  pid: number | null;
  restarts: number;
  /** ISO 8601: when it entered its state. */
  since: string;
  paused: boolean;
}

/**
 * What a chat operator may do: the Telegram bot (and any later chat notifier)
 * calls these; the daemon implements them. Failures are `OpsError`s whose
 * message is fit to show.
 */
export interface OpsControl {
  status(bot?: string): Promise<BotStatusLine[]>;
  /** Runs the repair pipeline now (an operator's repair ignores the budget and pauses). */
  repair(bot: string, actor: string): Promise<RepairRecord>;
  /** The gateway's last log lines, secrets redacted. */
  logs(bot: string, lines: number): Promise<string[]>;
  history(bot?: string, limit?: number): Promise<RepairRecord[]>;
  stats(bot?: string): Promise<RepairStats>;
  /** clawops's repair and notification settings in words, without secrets. */
  config(): Promise<string[]>;
  pause(bot: string | null, actor: string, reason: string): Promise<RepairPause>;
  /** A human's decision on an exec the bot's gateway waits on (its id or an 8+ character prefix). */
  decideApproval(
    bot: string,
    id: string,
    decision: "allow-once" | "deny",
    actor: string,
  ): Promise<{ bot: string; id: string; command: string }>;
  resume(bot: string | null, actor: string): Promise<boolean>;
}
