import { useMemo, useState } from "react";
import { type FleetRow, type FleetStatus, VERDICTS, fleetRows, matching } from "./fleet-model.js";
import { mib, since } from "./format.js";
import { type LiveState, useLiveQuery, useLiveState } from "./live.js";
import { botHref } from "./route.js";

/** Every bot, worst first: state, readiness, uptime, restarts, memory, version. */
export function Fleet() {
  const [query, setQuery] = useState("");
  const live = useLiveState();
  const status = useLiveQuery<FleetStatus>(["status"], "/status");
  const rows = useMemo(() => (status.data ? fleetRows(status.data) : []), [status.data]);
  const shown = useMemo(() => matching(rows, query), [rows, query]);
  const counts = Object.fromEntries(
    VERDICTS.map((v) => [v, rows.filter((r) => r.verdict === v).length]),
  );
  return (
    <main className="fleet">
      <section className="summary" aria-label="fleet summary">
        <Tile label="bots" value={rows.length} />
        <Tile label="up" value={counts.up ?? 0} tone="up" />
        <Tile label="degraded" value={counts.degraded ?? 0} tone="degraded" />
        <Tile label="down" value={counts.down ?? 0} tone="down" />
        <Connection error={status.error} live={live} updatedAt={status.dataUpdatedAt} />
      </section>
      <div className="toolbar">
        <input
          type="search"
          placeholder="Filter by name, state, version, label…"
          aria-label="filter bots"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
      </div>
      {status.data && rows.length === 0 ? (
        <p className="empty">
          No bots yet. Create one with <code>clawops bot create NAME</code>.
        </p>
      ) : (
        <FleetTable rows={shown} />
      )}
    </main>
  );
}

function Tile({ label, value, tone }: { label: string; value: number; tone?: string }) {
  return (
    <div className={`tile ${tone && value > 0 ? tone : ""}`}>
      <span className="value">{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}

/**
 * Whether what is on screen is current: "live" while events arrive over `/ws`, "polling" while
 * the channel reconnects, "offline" when the daemon does not answer: a dead daemon never leaves a
 * fleet looking "up".
 */
function Connection(props: { error: Error | null; live: LiveState; updatedAt: number }) {
  const at = props.updatedAt ? ` · ${new Date(props.updatedAt).toLocaleTimeString()}` : "";
  if (props.error)
    return (
      <div className="connection offline" role="status">
        offline: {props.error.message}
      </div>
    );
  if (props.live !== "live")
    return (
      <div className="connection polling" role="status">
        {props.live === "connecting" ? "connecting" : "reconnecting, polling"}
        {at}
      </div>
    );
  return (
    <div className="connection live" role="status">
      live{at}
    </div>
  );
}

function FleetTable({ rows }: { rows: FleetRow[] }) {
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table className="bots">
        <thead>
          <tr>
            <th>Bot</th>
            <th>State</th>
            <th className="num">Uptime</th>
            <th className="num">Restarts</th>
            <th className="num">Memory</th>
            <th>Version</th>
            <th className="num">Port</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ bot, gateway, verdict }) => (
            <tr key={bot.id} data-bot={bot.name} data-verdict={verdict}>
              <td>
                <a className="name" href={botHref(bot.name)}>
                  {bot.name}
                </a>
                {Object.entries(bot.labels).map(([k, v]) => (
                  <span key={k} className="label-chip">
                    {k}={v}
                  </span>
                ))}
              </td>
              <td>
                <span className={`badge ${verdict}`}>{gateway?.state ?? "stopped"}</span>
                <span className="reason" title={gateway?.reason}>
                  {gateway?.reason}
                </span>
              </td>
              <td className="num">
                {gateway && verdict !== "off" && verdict !== "down"
                  ? since(gateway.startedAt, now)
                  : "–"}
              </td>
              <td className="num">{gateway?.restarts ?? 0}</td>
              <td className="num">{mib(gateway?.rssBytes ?? null)}</td>
              <td>{gateway?.version ?? "–"}</td>
              <td className="num">{bot.port}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
