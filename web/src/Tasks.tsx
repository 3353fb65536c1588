import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Principal } from "../../src/core/access.js";
import type { Task } from "../../src/core/task.js";
import { api } from "./api.js";
import { COLUMNS, byColumn, cardState, movesFrom } from "./board-model.js";
import { usd } from "./bot/cost-model.js";
import { useLiveQuery } from "./live.js";
import { GateButtons, awaitsApproval } from "./TaskGate.js";
import { botHref } from "./route.js";

const OPERATORS = new Set(["operator", "admin", "owner"]);

interface Analytics {
  botName: string;
  finished: number;
  successRate: number | null;
  meanCompletionMs: number | null;
  costPerTaskUsd: number | null;
}

/**
 * Mission Control's board: every task of the organisation in its column,
 * live (task events refetch it), with the agents' analytics above; operators
 * put tasks on it and move, cancel and retry cards (the API checks anyway).
 */
export default function Tasks({ principal }: { principal: Principal }) {
  const tasks = useLiveQuery<{ tasks: Task[] }>(["tasks"], "/tasks?limit=500");
  const analytics = useLiveQuery<{ bots: Analytics[] }>(["tasks", "analytics"], "/tasks/analytics");
  const acts = OPERATORS.has(principal.role);
  const columns = byColumn(tasks.data?.tasks ?? []);
  return (
    <main className="board-page">
      <h1>Tasks</h1>
      {acts && <NewTask />}
      {analytics.data && analytics.data.bots.length > 0 && (
        <AgentTable rows={analytics.data.bots} />
      )}
      {tasks.error && (
        <p className="error" role="alert">
          {tasks.error.message}
        </p>
      )}
      <div className="board" aria-label="task board">
        {COLUMNS.map(({ status, label }) => (
          <section className="column" key={status} aria-label={label}>
            <h2>
              {label} <span className="count">{columns.get(status)?.length ?? 0}</span>
            </h2>
            {columns.get(status)?.map((task) => (
              <Card key={task.id} task={task} acts={acts} />
            ))}
          </section>
        ))}
      </div>
    </main>
  );
}

function Card({ task, acts }: { task: Task; acts: boolean }) {
  const queries = useQueryClient();
  const act = useMutation({
    mutationFn: ({ verb, body }: { verb: "move" | "cancel" | "retry"; body?: unknown }) =>
      api(`/tasks/${encodeURIComponent(task.id)}/${verb}`, { method: "POST", body: body ?? {} }),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["tasks"] }),
  });
  const ended = task.outcome !== null;
  const running = !ended && (task.status === "assigned" || task.status === "in_progress");
  const gated = awaitsApproval(task);
  return (
    <article
      className={`card ${task.outcome ?? task.status}${gated ? " gated" : ""}`}
      data-task={task.id}
    >
      <h3>{task.title}</h3>
      <p className="meta">
        <a href={botHref(task.botName)}>{task.botName}</a> · {cardState(task)}
      </p>
      <p className="meta">
        {usd(task.usage.costUsd)} · {task.usage.input + task.usage.output} tokens
        {task.durationMs !== null && ` · ${(task.durationMs / 1000).toFixed(1)} s`}
      </p>
      {acts && (
        <div className="card-actions">
          {gated && <GateButtons task={task} />}
          {movesFrom(task.status, gated).map((to) => (
            <button
              key={to}
              type="button"
              className="quiet"
              disabled={act.isPending}
              onClick={() => act.mutate({ verb: "move", body: { to } })}
            >
              → {COLUMNS.find((c) => c.status === to)?.label}
            </button>
          ))}
          {running && (
            <button
              type="button"
              className="quiet"
              disabled={act.isPending}
              onClick={() => act.mutate({ verb: "cancel" })}
            >
              Cancel
            </button>
          )}
          {ended && task.outcome !== "succeeded" && (
            <button
              type="button"
              className="quiet"
              disabled={act.isPending}
              onClick={() => act.mutate({ verb: "retry" })}
            >
              Retry
            </button>
          )}
        </div>
      )}
      {act.error && <p className="error">{act.error.message}</p>}
    </article>
  );
}

function NewTask() {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const field = (name: string) => {
      const value = data.get(name);
      return typeof value === "string" ? value.trim() : "";
    };
    const minutes = Number(field("limit") || 10);
    try {
      await api("/tasks", {
        method: "POST",
        body: {
          bot: field("bot"),
          prompt: field("prompt"),
          ...(field("title") ? { title: field("title") } : {}),
          timeLimitMs: Math.round(minutes * 60_000),
          maxAttempts: Number(field("attempts") || 1),
          ...(data.get("gate") ? { gate: true } : {}),
        },
      });
      form.reset();
      setError(null);
      await queries.invalidateQueries({ queryKey: ["tasks"] });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <details className="new-task">
      <summary>New task</summary>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Bot <input name="bot" required autoComplete="off" />
        </label>
        <label>
          Title <input name="title" maxLength={200} />
        </label>
        <label className="wide">
          Prompt <textarea name="prompt" required rows={3} />
        </label>
        <label>
          Time limit (min) <input name="limit" type="number" min={1} max={120} defaultValue={10} />
        </label>
        <label>
          Attempts <input name="attempts" type="number" min={1} max={5} defaultValue={1} />
        </label>
        <label className="check">
          <input name="gate" type="checkbox" /> Approve before it runs
        </label>
        <button type="submit">Dispatch</button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}

function AgentTable({ rows }: { rows: Analytics[] }) {
  return (
    <div className="table-wrap">
      <table className="agents">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Finished</th>
            <th>Success</th>
            <th>Mean time</th>
            <th>Cost per task</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.botName}>
              <td>{r.botName}</td>
              <td>{r.finished}</td>
              <td>{r.successRate === null ? "–" : `${Math.round(r.successRate * 100)} %`}</td>
              <td>
                {r.meanCompletionMs === null ? "–" : `${(r.meanCompletionMs / 1000).toFixed(1)} s`}
              </td>
              <td>{r.costPerTaskUsd === null ? "–" : usd(r.costPerTaskUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
