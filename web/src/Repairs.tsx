import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Principal } from "../../src/core/access.js";
import type { RepairPause, RepairStatus } from "../../src/core/repair.js";
import { api } from "./api.js";
import type { FleetStatus } from "./fleet-model.js";
import { useLiveQuery } from "./live.js";
import {
  type BudgetRow,
  actorText,
  cooldownText,
  durationText,
  repairView,
} from "./repair-model.js";
import { botHref } from "./route.js";

const OPERATORS = new Set(["operator", "admin", "owner"]);
/** Pips for a budget this small; a larger one is said in figures only. */
const MAX_PIPS = 10;

/**
 * Whether automatic repair acts now (docs/repair.md): each bot's budget (the
 * automatic repairs counted in the last hour against the limit, a cooldown
 * once it is spent) and the pauses (maintenance mode), live; operators pause
 * and resume a bot's repairs, and the default organisation's the fleet's.
 */
export default function Repairs({ principal }: { principal: Principal }) {
  const status = useLiveQuery<RepairStatus>(["repairs", "status"], "/repairs/status");
  const fleet = useLiveQuery<FleetStatus>(["status"], "/status");
  const [reason, setReason] = useState("");
  const acts = OPERATORS.has(principal.role);
  const view = status.data ? repairView(status.data, fleet.data?.bots ?? []) : null;
  const now = Date.now();
  return (
    <main className="repairs-page">
      <h1>Repairs</h1>
      {status.data && (
        <p className="muted">
          Automatic repair is <strong>{status.data.enabled ? "on" : "off"}</strong>
          {status.data.dryRun && " (dry run: plans only)"} · at most {status.data.budget.maxPerHour}{" "}
          automatic repairs per bot in any hour, then {durationText(status.data.budget.cooldownMs)}{" "}
          of cooldown. An operator&apos;s repair is never counted or refused.
        </p>
      )}
      {(status.error ?? fleet.error) && (
        <p className="error" role="alert">
          {(status.error ?? fleet.error)!.message}
        </p>
      )}
      {acts && (
        <label className="reason-field">
          Reason for a pause (optional)
          <input
            value={reason}
            maxLength={500}
            placeholder="e.g. upgrading OpenClaw"
            onChange={(event) => setReason(event.currentTarget.value)}
          />
        </label>
      )}
      {view && (
        <FleetPause
          pause={view.fleetPause}
          acts={acts && principal.org === "default"}
          reason={reason}
        />
      )}
      {view && view.rows.length === 0 && <p className="empty">No bot is registered.</p>}
      {view && view.rows.length > 0 && (
        <div className="table-wrap">
          <table className="roster budgets">
            <thead>
              <tr>
                <th>Bot</th>
                <th>Budget (last hour)</th>
                <th>Cooldown</th>
                <th>Automatic repair</th>
                {acts && <th aria-label="actions" />}
              </tr>
            </thead>
            <tbody>
              {view.rows.map((row) => (
                <Row
                  key={row.bot}
                  row={row}
                  now={now}
                  acts={acts}
                  reason={reason}
                  fleetPaused={view.fleetPause !== null}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

function usePauseToggle(path: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ verb, reason }: { verb: "pause" | "resume"; reason: string }) =>
      api(
        `${path}/${verb}${verb === "pause" && reason ? `?reason=${encodeURIComponent(reason)}` : ""}`,
        { method: "POST" },
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["repairs"] }),
  });
}

function Row(props: {
  row: BudgetRow;
  now: number;
  acts: boolean;
  reason: string;
  fleetPaused: boolean;
}) {
  const { row } = props;
  const toggle = usePauseToggle(`/bots/${encodeURIComponent(row.bot)}/repair`);
  const spent = row.cooldownUntil !== null;
  return (
    <tr data-bot={row.bot} data-paused={row.pause ? "yes" : "no"}>
      <td>
        <a className="name" href={botHref(row.bot)}>
          {row.bot}
        </a>
      </td>
      <td>
        <span className="budget">
          {row.limit <= MAX_PIPS && (
            <span className="pips" aria-hidden="true">
              {Array.from({ length: row.limit }, (_, i) => (
                <span
                  key={i}
                  className={i < row.used ? `pip used${spent ? " spent" : ""}` : "pip"}
                />
              ))}
            </span>
          )}
          <span className="figure">
            {row.used} / {row.limit} used
          </span>
        </span>
      </td>
      <td className={spent ? "cooling" : "muted"}>{cooldownText(row.cooldownUntil, props.now)}</td>
      <td>
        <State row={row} fleetPaused={props.fleetPaused} />
      </td>
      {props.acts && (
        <td className="row-actions">
          <button
            type="button"
            className={row.pause ? "" : "quiet"}
            disabled={toggle.isPending}
            onClick={() =>
              toggle.mutate({ verb: row.pause ? "resume" : "pause", reason: props.reason })
            }
          >
            {row.pause ? "Resume" : "Pause"}
            <span className="sr-only"> automatic repair of {row.bot}</span>
          </button>
          {toggle.error && (
            <span className="error inline" role="alert">
              {toggle.error.message}
            </span>
          )}
        </td>
      )}
    </tr>
  );
}

function State({ row, fleetPaused }: { row: BudgetRow; fleetPaused: boolean }) {
  if (row.repairing) return <span className="badge changing">repairing</span>;
  if (row.pause) return <PauseBadge pause={row.pause} />;
  if (fleetPaused) return <span className="badge degraded">paused (fleet)</span>;
  if (row.cooldownUntil) return <span className="badge down">cooling down</span>;
  return <span className="badge up">active</span>;
}

function PauseBadge({ pause }: { pause: RepairPause }) {
  return (
    <>
      <span className="badge degraded">paused</span>
      <span className="pause-by" title={pause.by}>
        by {actorText(pause.by)}
        {pause.reason && `: ${pause.reason}`} · {new Date(pause.since).toLocaleString()}
      </span>
    </>
  );
}

function FleetPause(props: { pause: RepairPause | null; acts: boolean; reason: string }) {
  const toggle = usePauseToggle("/repairs");
  if (!props.pause && !props.acts) return null;
  return (
    <div className={props.pause ? "fleet-pause paused" : "fleet-pause"}>
      {props.pause ? (
        <span>
          <strong>Every bot&apos;s automatic repair is paused</strong> by{" "}
          {actorText(props.pause.by)}
          {props.pause.reason && ` (${props.pause.reason})`} since{" "}
          {new Date(props.pause.since).toLocaleString()}.
        </span>
      ) : (
        <span className="muted">No fleet-wide pause.</span>
      )}
      {props.acts && (
        <button
          type="button"
          className={props.pause ? "" : "quiet"}
          disabled={toggle.isPending}
          onClick={() =>
            toggle.mutate({ verb: props.pause ? "resume" : "pause", reason: props.reason })
          }
        >
          {props.pause ? "Resume every bot" : "Pause every bot"}
        </button>
      )}
      {toggle.error && (
        <span className="error inline" role="alert">
          {toggle.error.message}
        </span>
      )}
    </div>
  );
}
