import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy, useMemo, useState } from "react";
import type { Principal } from "../../src/core/access.js";
import type { OpsEvent } from "../../src/core/events.js";
import type { RepairRecord } from "../../src/core/repair.js";
import type { SessionRecord } from "../../src/core/session.js";
import type { BotHealth, FleetHealth, HealthWindow } from "../../src/fleet/health.js";
import { api } from "./api.js";
import { describeEvent } from "./describe-event.js";
import { type FleetStatus, verdictOf } from "./fleet-model.js";
import { mib, percent, since } from "./format.js";
import { useLiveQuery } from "./live.js";
import { BOT_TABS, type BotTab, botHref, sessionHref } from "./route.js";
import "./bot/bot.css";

// The heavier views load when their tab is first opened, not with the first page.
const LogTail = lazy(() => import("./bot/LogTail.js"));
const SessionsView = lazy(() => import("./bot/SessionsView.js"));
const CostView = lazy(() => import("./bot/CostView.js"));
const ConfigView = lazy(() => import("./bot/ConfigView.js"));

const TAB_LABELS: Record<BotTab, string> = {
  overview: "Overview",
  logs: "Logs",
  sessions: "Sessions",
  cost: "Cost",
  config: "Config",
};

/** Roles that may start, stop, restart and repair (the API decides anyway). */
const OPERATORS = new Set(["operator", "admin", "owner"]);

/**
 * One bot: its state, the actions its viewer may take, and its tabs: the timeline, repairs and
 * recent sessions; the log tail; sessions and transcripts; cost; the config with the doctor.
 */
export function BotDetail(props: {
  name: string;
  tab: BotTab;
  session: string | null;
  principal: Principal;
}) {
  const { name, tab, principal } = props;
  const status = useLiveQuery<FleetStatus>(["status"], "/status");
  const bot = status.data?.bots.find((b) => b.name === name);
  const gateway = status.data?.gateways.find((g) => g.bot === name) ?? null;
  if (status.error) return <Failure message={status.error.message} />;
  if (!status.data) return <main className="detail">Loading…</main>;
  if (!bot) return <Failure message={`no bot named "${name}"`} />;
  const verdict = verdictOf(bot, gateway);
  const now = Date.now();
  return (
    <main className="detail">
      <p>
        <a href="#/">← Fleet</a>
      </p>
      <header className="detail-head">
        <h1>{bot.name}</h1>
        <span className={`badge ${verdict}`}>{gateway?.state ?? "stopped"}</span>
        <span className="reason">{gateway?.reason}</span>
      </header>
      <dl className="facts">
        <Fact
          term="Uptime"
          value={
            verdict === "up" || verdict === "degraded"
              ? since(gateway?.startedAt ?? null, now)
              : "–"
          }
        />
        <Fact term="Restarts" value={String(gateway?.restarts ?? 0)} />
        <Fact term="Memory" value={mib(gateway?.rssBytes ?? null)} />
        <Fact term="Version" value={gateway?.version ?? "–"} />
        <Fact term="Port" value={String(bot.port)} />
        <Fact term="Wanted" value={bot.desiredState} />
      </dl>
      {OPERATORS.has(principal.role) && <Actions name={name} />}
      <nav className="tabs" aria-label="bot sections">
        {BOT_TABS.map((t) => (
          <a key={t} href={botHref(name, t)} aria-current={t === tab ? "page" : undefined}>
            {TAB_LABELS[t]}
          </a>
        ))}
      </nav>
      <Suspense
        fallback={
          <p className="muted loading" role="status">
            Loading…
          </p>
        }
      >
        {tab === "overview" && (
          <div className="columns">
            <Timeline name={name} />
            <div>
              <Repairs name={name} />
              <Sessions name={name} />
            </div>
          </div>
        )}
        {tab === "logs" &&
          (OPERATORS.has(principal.role) ? (
            <LogTail key={name} name={name} />
          ) : (
            <p className="muted">The gateway's log is shown to operators, admins and owners.</p>
          ))}
        {tab === "sessions" && <SessionsView name={name} session={props.session} />}
        {tab === "cost" && <CostView name={name} />}
        {tab === "config" && <ConfigView name={name} principal={principal} />}
      </Suspense>
    </main>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Failure({ message }: { message: string }) {
  return (
    <main className="detail">
      <p>
        <a href="#/">← Fleet</a>
      </p>
      <p className="error" role="alert">
        {message}
      </p>
    </main>
  );
}

/** Start, stop, restart, repair: what the supervisor and the repair pipeline answer is shown. */
function Actions({ name }: { name: string }) {
  const queries = useQueryClient();
  const act = useMutation({
    mutationFn: (action: "start" | "stop" | "restart" | "repair") =>
      api<unknown>(`/bots/${name}/${action}`, { method: "POST" }),
    onSettled: () => queries.invalidateQueries(),
  });
  const button = (action: "start" | "stop" | "restart" | "repair", label: string) => (
    <button
      type="button"
      disabled={act.isPending}
      onClick={() => {
        if (action === "stop" && !confirm(`Stop ${name}'s gateway?`)) return;
        act.mutate(action);
      }}
    >
      {label}
    </button>
  );
  return (
    <section className="actions" aria-label="actions">
      {button("start", "Start")}
      {button("restart", "Restart")}
      {button("stop", "Stop")}
      {button("repair", "Repair now")}
      {act.isPending && <span className="muted">working…</span>}
      {act.error && (
        <span className="error" role="alert">
          {act.error.message}
        </span>
      )}
    </section>
  );
}

const WINDOWS: HealthWindow[] = ["24h", "7d", "30d"];
const WINDOW_MS: Record<HealthWindow, number> = {
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};
/** What the timeline lists: crashes, restarts and hangs, repairs, and changes to the bot. */
const TIMELINE_TYPES = [
  "gateway.state",
  "gateway.hung",
  "gateway.crash_loop",
  "gateway.port_conflict",
  "repair.",
  "bot.",
].join(",");

/** Crashes, restarts, repairs and config changes over 24 h, 7 d or 30 d, under its status strip. */
function Timeline({ name }: { name: string }) {
  const [span, setSpan] = useState<HealthWindow>("24h");
  // Fixed per choice: a lower bound that moved on each render would refetch forever.
  const since = useMemo(() => new Date(Date.now() - WINDOW_MS[span]).toISOString(), [span]);
  const health = useLiveQuery<FleetHealth>(
    ["health", name, span],
    `/bots/${name}/health?window=${span}`,
  );
  const events = useLiveQuery<{ events: OpsEvent[] }>(
    ["events", name, span],
    `/events?bot=${name}&type=${TIMELINE_TYPES}&since=${since}&limit=1000`,
  );
  const list = [...(events.data?.events ?? [])].reverse();
  const mine = health.data?.bots[0];
  return (
    <section className="panel" aria-label="timeline">
      <div className="panel-head">
        <h2>Timeline</h2>
        <div className="segmented" role="group" aria-label="time window">
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              className="quiet"
              aria-pressed={w === span}
              onClick={() => setSpan(w)}
            >
              {w}
            </button>
          ))}
        </div>
      </div>
      {mine && <HealthSummary health={mine} />}
      {list.length === 0 && <p className="muted">Nothing in the last {span}.</p>}
      {list.length === 1000 && <p className="muted">The latest 1,000 shown.</p>}
      <ol className="timeline">
        {list.map((e) => (
          <li key={e.id} data-type={e.type}>
            <time dateTime={e.ts}>{new Date(e.ts).toLocaleString()}</time>
            <span className="type">{e.type}</span>
            <span className="what">{describeEvent(e.type, e.data)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The window's status strip (oldest left) and its figures. */
function HealthSummary({ health }: { health: BotHealth }) {
  const spans = health.spans ?? [];
  const start = spans[0]?.start ?? 0;
  const total = (spans.at(-1)?.end ?? start) - start || 1;
  const figures = [
    health.uptime === null ? "not meant to run" : `uptime ${percent(health.uptime)}`,
    `${health.restarts} restart${health.restarts === 1 ? "" : "s"}`,
    `${health.crashes} crash${health.crashes === 1 ? "" : "es"}`,
    `${health.repairs} repair${health.repairs === 1 ? "" : "s"}`,
    health.errorRate === null ? "no messages" : `${percent(health.errorRate)} failed messages`,
  ];
  return (
    <div className="health-summary">
      <div className="strip" role="img" aria-label={`status over the window: ${figures[0]}`}>
        {spans.map((s) => (
          <span
            key={s.start}
            className={s.status}
            style={{ width: `${((s.end - s.start) / total) * 100}%` }}
            title={`${s.status}: ${new Date(s.start).toLocaleString()} – ${new Date(s.end).toLocaleString()}`}
          />
        ))}
      </div>
      <p className="muted">
        {health.score !== null && <strong>score {health.score}</strong>} {figures.join(" · ")}
      </p>
    </div>
  );
}

function Repairs({ name }: { name: string }) {
  const repairs = useLiveQuery<{ repairs: RepairRecord[] }>(
    ["repairs", name],
    `/repairs?bot=${name}&limit=10`,
  );
  const list = repairs.data?.repairs ?? [];
  return (
    <section className="panel" aria-label="repairs">
      <h2>Repairs</h2>
      {list.length === 0 && <p className="muted">None.</p>}
      <ul className="plain">
        {list.map((r) => (
          <li key={r.id} data-outcome={r.outcome}>
            <span
              className={`badge ${r.outcome === "recovered" ? "up" : r.outcome === "escalated" ? "down" : "off"}`}
            >
              {r.outcome}
            </span>{" "}
            tier {r.tier} · {r.trigger} · {new Date(r.startedAt).toLocaleString()}
            <div className="muted">{r.summary}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Sessions({ name }: { name: string }) {
  const sessions = useLiveQuery<{ sessions: SessionRecord[] }>(
    ["sessions", name],
    `/sessions?bot=${name}&limit=20`,
  );
  const list = sessions.data?.sessions ?? [];
  const cost = list.reduce((sum, s) => sum + s.usage.costUsd, 0);
  return (
    <section className="panel" aria-label="sessions">
      <h2>
        Sessions{" "}
        <span className="muted">
          · ${cost.toFixed(4)} over the last {list.length}
        </span>
      </h2>
      {list.length === 0 && <p className="muted">No sessions yet.</p>}
      <table className="bots">
        <tbody>
          {list.map((s) => (
            <tr key={s.sessionId}>
              <td>
                <a className="name" href={sessionHref(name, s.sessionId)}>
                  {s.sessionKey}
                </a>
                <div className="muted">{s.modelUsed ?? s.modelConfigured ?? "–"}</div>
              </td>
              <td className="num">{s.messageCount} msgs</td>
              <td className="num">{s.usage.input + s.usage.output} tok</td>
              <td className="num">${s.usage.costUsd.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
