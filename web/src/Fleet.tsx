import { useMemo, useState } from "react";
import type { FleetHealth } from "../../src/fleet/health.js";
import {
  type FleetRow,
  type FleetStatus,
  type SortKey,
  VERDICTS,
  fleetRows,
  matching,
  sortRows,
  sparkline,
} from "./fleet-model.js";
import { usd } from "./bot/cost-model.js";
import { mib, percent, since } from "./format.js";
import { type LiveState, useLiveQuery, useLiveState } from "./live.js";
import { botHref } from "./route.js";

/**
 * Every bot, problems first: state, health score, uptime, restarts and memory
 * curve, spend today, open repairs, version; its host when there are several.
 */
export function Fleet() {
  const [query, setQuery] = useState("");
  const [order, setOrder] = useState<{ key: SortKey; reverse: boolean }>({
    key: "problems",
    reverse: false,
  });
  const live = useLiveState();
  const status = useLiveQuery<FleetStatus>(["status"], "/status");
  const health = useLiveQuery<FleetHealth>(["health"], "/fleet/health?window=24h");
  const rows = useMemo(
    () => (status.data ? fleetRows(status.data, health.data) : []),
    [status.data, health.data],
  );
  const shown = useMemo(
    () => sortRows(matching(rows, query), order.key, order.reverse),
    [rows, query, order],
  );
  const counts = Object.fromEntries(
    VERDICTS.map((v) => [v, rows.filter((r) => r.verdict === v).length]),
  );
  const hosts = (status.data?.hosts?.length ?? 0) > 1;
  const sortBy = (key: SortKey) =>
    setOrder((o) => ({ key, reverse: o.key === key ? !o.reverse : false }));
  return (
    <main className="fleet">
      <section className="summary" aria-label="fleet summary">
        <Tile label="bots" value={rows.length} />
        <Tile label="up" value={counts.up ?? 0} tone="up" />
        <Tile label="degraded" value={counts.degraded ?? 0} tone="degraded" />
        <Tile label="down" value={counts.down ?? 0} tone="down" />
        <CostTile health={health.data} />
        <Connection error={status.error} live={live} updatedAt={status.dataUpdatedAt} />
      </section>
      <div className="toolbar">
        <input
          type="search"
          placeholder="Filter by name, state, version, label, host…"
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
        <FleetTable rows={shown} hosts={hosts} order={order} sortBy={sortBy} />
      )}
    </main>
  );
}

/** What the fleet spent since 00:00 UTC, as far as the gateways reported or clawops priced it. */
function CostTile({ health }: { health: FleetHealth | undefined }) {
  const total = health?.bots.reduce((sum, b) => sum + b.costTodayUsd, 0);
  return (
    <div className="tile" title="spend since 00:00 UTC">
      <span className="value">{total === undefined ? "–" : usd(total)}</span>
      <span className="label">today</span>
    </div>
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

const COLUMNS: { key: SortKey | null; label: string; num?: boolean; narrow?: boolean }[] = [
  { key: "name", label: "Bot", narrow: true },
  { key: "problems", label: "State", narrow: true },
  { key: "health", label: "Health", num: true, narrow: true },
  { key: "uptime", label: "Uptime", num: true },
  { key: "restarts", label: "Restarts 24 h", num: true },
  { key: "memory", label: "Memory", num: true },
  { key: "cost", label: "Today", num: true },
  { key: "repairs", label: "Repairs", num: true },
  { key: null, label: "Version" },
  { key: null, label: "Port", num: true },
];

function FleetTable(props: {
  rows: FleetRow[];
  hosts: boolean;
  order: { key: SortKey; reverse: boolean };
  sortBy: (key: SortKey) => void;
}) {
  const { rows, hosts, order, sortBy } = props;
  const now = Date.now();
  const columns = hosts
    ? [...COLUMNS.slice(0, 3), { key: null, label: "Host" }, ...COLUMNS.slice(3)]
    : COLUMNS;
  return (
    <div className="table-wrap">
      <table className="bots fleet-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.label}
                className={`${c.num ? "num" : ""} ${c.narrow ? "" : "wide"}`}
                aria-sort={
                  c.key && order.key === c.key
                    ? order.reverse
                      ? "descending"
                      : "ascending"
                    : undefined
                }
              >
                {c.key ? (
                  <button type="button" className="sort" onClick={() => sortBy(c.key!)}>
                    {c.label}
                    {order.key === c.key && (
                      <span aria-hidden="true">{order.reverse ? " ▴" : " ▾"}</span>
                    )}
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <BotRow key={row.bot.id} row={row} hosts={hosts} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BotRow({ row, hosts, now }: { row: FleetRow; hosts: boolean; now: number }) {
  const { bot, gateway, verdict, health, hostLost } = row;
  const state = hostLost ? "host unreachable" : (gateway?.state ?? "stopped");
  return (
    <tr data-bot={bot.name} data-verdict={verdict}>
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
        <span className={`badge ${verdict}`}>{state}</span>
        <span className="reason" title={gateway?.reason}>
          {hostLost ? `its host ${bot.host ?? ""} stopped reporting` : gateway?.reason}
        </span>
      </td>
      <td className="num" data-col="health">
        <Score health={health} />
      </td>
      {hosts && (
        <td className={`wide ${hostLost ? "lost" : ""}`} data-col="host">
          {bot.host ?? "–"}
        </td>
      )}
      <td
        className="num wide"
        data-col="uptime"
        title="time up since its last start; share of the last 24 h"
      >
        {gateway && verdict !== "off" && verdict !== "down" ? since(gateway.startedAt, now) : "–"}
        {health?.uptime != null && <div className="muted">{percent(health.uptime)}</div>}
      </td>
      <td
        className="num wide"
        data-col="restarts"
        title={`${health?.crashes ?? 0} crashes in 24 h`}
      >
        {health ? health.restarts : "–"}
      </td>
      <td className="num wide" data-col="memory">
        <Sparkline samples={gateway?.rssSamples ?? health?.rssSamples ?? []} />
        {mib(gateway?.rssBytes ?? null)}
      </td>
      <td className="num wide" data-col="cost">
        {health ? usd(health.costTodayUsd) : "–"}
      </td>
      <td className="num wide" data-col="repairs">
        {health && health.openRepairs > 0 ? (
          <span className="badge down small" title="running, or escalated since its last recovery">
            {health.openRepairs} open
          </span>
        ) : (
          (health?.repairs ?? "–")
        )}
      </td>
      <td className="wide">{gateway?.version ?? "–"}</td>
      <td className="num wide">{bot.port}</td>
    </tr>
  );
}

/** The health score as a coloured figure, with what it is made of on hover. */
function Score({ health }: { health: FleetRow["health"] }) {
  if (!health || health.score === null) return <span className="muted">–</span>;
  const tone = health.score >= 90 ? "up" : health.score >= 60 ? "degraded" : "down";
  const parts = [
    `uptime ${health.uptime === null ? "–" : percent(health.uptime)}`,
    `failed messages ${health.errorRate === null ? "none" : percent(health.errorRate)}`,
    `repairs ${health.repairs}`,
  ];
  return (
    <span className={`score ${tone}`} title={`last 24 h: ${parts.join(", ")}`}>
      {health.score}
    </span>
  );
}

const SPARK_WIDTH = 64;
const SPARK_HEIGHT = 18;

/** Resident memory over the last readings: the slope a leak shows before any limit. */
function Sparkline({ samples }: { samples: readonly number[] }) {
  const points = sparkline(samples, SPARK_WIDTH, SPARK_HEIGHT);
  if (!points) return null;
  return (
    <svg
      className="sparkline"
      width={SPARK_WIDTH}
      height={SPARK_HEIGHT}
      viewBox={`0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`}
      role="img"
      aria-label={`memory ${mib(samples[0]!)} to ${mib(samples.at(-1)!)}`}
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
