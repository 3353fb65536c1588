import { formatDurationMs } from "../core/duration.js";
import type { Notification } from "../core/notification.js";
import type { RepairActionRecord, RepairRecord } from "../core/repair.js";

const STATUS_MARK: Record<RepairActionRecord["status"], string> = {
  ok: "✓",
  failed: "✗",
  skipped: "–",
  rejected: "⛔",
  planned: "…",
};

/** "✓ tier 1 restart (11.2s): restarted: pid 10 → 12" */
export function describeAction(action: RepairActionRecord): string {
  return `${STATUS_MARK[action.status]} tier ${action.tier} ${action.action} (${formatDurationMs(action.durationMs)}): ${action.detail}`;
}

const between = (from: string, to: string) => formatDurationMs(Date.parse(to) - Date.parse(from));

/** What operators are told about a finished repair; null when there is nothing to tell. */
export function repairNotification(record: RepairRecord): Notification | null {
  const base = { bot: record.botName, repairId: record.id, ts: record.endedAt ?? record.startedAt };
  const acted = record.actions.filter((a) => a.status !== "skipped");
  const diff = record.actions.find((a) => a.diff)?.diff;
  if (record.outcome === "recovered") {
    const tierActions = acted.filter((a) => a.tier === record.tier).map((a) => a.action);
    return {
      ...base,
      kind: "recovered",
      title: `${record.botName} recovered in ${between(record.detectedAt, record.recoveredAt!)} (tier ${record.tier}: ${[...new Set(tierActions)].join(", ")})`,
      lines: [
        `cause: ${record.cause}`,
        `detected ${between(record.faultAt, record.detectedAt)} after the fault; /healthz of the new instance answered ${between(record.detectedAt, record.recoveredAt!)} after detection`,
        ...acted.map(describeAction),
        `started by ${record.startedBy}; repair ${record.id}`,
      ],
      ...(diff ? { detail: diff } : {}),
      dedupeKey: `recovered:${record.id}`,
    };
  }
  if (record.outcome === "escalated") {
    const tail = (record.evidence.logTail as string[] | undefined)?.slice(-12).join("\n");
    return {
      ...base,
      kind: "escalated",
      // A gateway that is live but not ready is not "down" to whoever looks at it.
      title: `${record.botName} ${record.trigger === "readiness" ? "is not ready" : "is down"}: automatic repair failed, a human is needed`,
      lines: [`cause: ${record.cause}`, record.summary, ...acted.map(describeAction)],
      ...(tail ? { detail: tail } : {}),
      dedupeKey: `escalated:${record.botName}:${record.trigger}`,
    };
  }
  if (record.outcome === "skipped" && record.startedBy === "repair") {
    return {
      ...base,
      kind: "down",
      title: `${record.botName} is down and will not be repaired automatically`,
      lines: [`cause: ${record.cause}`, record.summary],
      dedupeKey: `skipped:${record.botName}:${record.summary.slice(0, 40)}`,
    };
  }
  return null;
}

/** A fault that will not be repaired automatically (paused, repair off): deduplicated per bot and trigger. */
export function downNotice(
  name: string,
  botId: string,
  trigger: { trigger: string; cause: string; detectedAt: string },
  why: string,
): Notification {
  return {
    kind: "down",
    bot: name,
    title: `${name}: ${trigger.cause}`,
    lines: [why],
    dedupeKey: `down:${botId}:${trigger.trigger}`,
    ts: trigger.detectedAt,
  };
}
