/**
 * What one organisation may see of the Prometheus exposition: the series of
 * its own bots (those with a `bot` label it may see), and, for principals who
 * see the whole daemon, every series without a `bot` label (the daemon's own
 * process, HTTP and fleet counts). A metric left without samples loses its
 * `# HELP` and `# TYPE` lines too, so no other organisation's metric name or
 * bot name shows.
 */
export function scopeMetrics(
  text: string,
  scope: { sees: (bot: string) => boolean; daemonWide: boolean },
): string {
  const kept: string[] = [];
  let header: string[] = [];
  let metric: string | null = null;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const name = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1] ?? null;
      if (name !== metric) {
        header = [];
        metric = name;
      }
      header.push(line);
      continue;
    }
    if (!sampleVisible(line, scope)) continue;
    kept.push(...header, line);
    header = [];
  }
  return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
}

function sampleVisible(
  line: string,
  scope: { sees: (bot: string) => boolean; daemonWide: boolean },
) {
  const open = line.indexOf("{");
  const space = line.indexOf(" ");
  // `name value` or `name{labels} value`: the labels are only those before the value.
  if (open === -1 || (space !== -1 && space < open)) return scope.daemonWide;
  const bot = labelValue(line.slice(open), "bot");
  return bot === null ? scope.daemonWide : scope.sees(bot);
}

/** A label's value, unescaped, from `{a="x",bot="y"}`; null when the label is absent. */
function labelValue(labels: string, name: string): string | null {
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/gy;
  for (let at = 1; at < labels.length && labels[at] !== "}";) {
    pattern.lastIndex = at;
    const match = pattern.exec(labels);
    if (!match) return null;
    if (match[1] === name)
      return match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    at = pattern.lastIndex;
    if (labels[at] === ",") at += 1;
  }
  return null;
}
