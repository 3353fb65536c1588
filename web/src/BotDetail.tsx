import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy } from "react";
import type { Principal } from "../../src/core/access.js";
import type { OpsEvent } from "../../src/core/events.js";
import type { RepairRecord } from "../../src/core/repair.js";
import type { SessionRecord } from "../../src/core/session.js";
import { api } from "./api.js";
import { describeEvent } from "./describe-event.js";
import { type FleetStatus, verdictOf } from "./fleet-model.js";
import { mib, since } from "./format.js";
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

function Timeline({ name }: { name: string }) {
  const events = useLiveQuery<{ events: OpsEvent[] }>(
    ["events", name],
    `/events?bot=${name}&limit=100`,
  );
  const list = [...(events.data?.events ?? [])].reverse();
  return (
    <section className="panel" aria-label="timeline">
      <h2>Timeline</h2>
      {list.length === 0 && <p className="muted">Nothing yet.</p>}
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
