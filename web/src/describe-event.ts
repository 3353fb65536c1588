/** One line for a stored event in a bot's timeline (the catalogue: docs/events.md). */
export function describeEvent(type: string, data: Record<string, unknown>): string {
  const text = (key: string) => (typeof data[key] === "string" ? data[key] : "");
  if (type === "gateway.state")
    return `${text("from")} → ${text("to")}${text("reason") ? `: ${text("reason")}` : ""}`;
  // Most events say it in words already (hung, warning, repair summaries).
  for (const key of ["message", "summary", "cause", "reason"]) if (text(key)) return text(key);
  return Object.entries(data)
    .filter(([, v]) => ["string", "number", "boolean"].includes(typeof v))
    .slice(0, 4)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" · ");
}
