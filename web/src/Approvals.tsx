import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Principal } from "../../src/core/access.js";
import type { Task } from "../../src/core/task.js";
import { api } from "./api.js";
import { GateButtons, awaitsApproval } from "./TaskGate.js";
import { useLiveQuery } from "./live.js";
import { botHref } from "./route.js";

const OPERATORS = new Set(["operator", "admin", "owner"]);

interface Pending {
  bot: string;
  id: string;
  command: string;
  host: string;
  cwd: string | null;
  expiresAt: string;
  policy: { decision: "allow" | "deny" | "ask"; by: string; reason: string };
}

/**
 * The execs the organisation's gateways hold for a decision
 * (docs/approvals.md), live: each with its command, where it would run and
 * what the policy made of it; operators allow it once or deny it.
 */
export default function Approvals({ principal }: { principal: Principal }) {
  const pending = useLiveQuery<{
    approvals: Pending[];
    autonomy: Record<string, string>;
    unanswered: { host: string; reason: string }[];
  }>(["approvals"], "/approvals");
  const acts = OPERATORS.has(principal.role);
  const routed = Object.entries(pending.data?.autonomy ?? {}).filter(([, a]) => a !== "autonomous");
  return (
    <main className="approvals-page">
      <h1>Approvals</h1>
      <h2>Execs</h2>
      <p className="muted">
        {routed.length === 0
          ? "Every bot is autonomous: no exec is routed to clawops for approval (approvals in clawops.yaml)."
          : `Routed to clawops: ${routed.map(([bot, level]) => `${bot} (${level})`).join(", ")}.`}
      </p>
      {pending.error && (
        <p className="error" role="alert">
          {pending.error.message}
        </p>
      )}
      {pending.data?.unanswered.map((u) => (
        <p className="error" role="alert" key={u.host}>
          The execs of host {u.host}'s bots are not listed: {u.reason}
        </p>
      ))}
      {pending.data && pending.data.approvals.length === 0 && (
        <p className="empty">Nothing waits for a decision.</p>
      )}
      {pending.data?.approvals.map((a) => (
        <Request key={a.id} approval={a} acts={acts} />
      ))}
      <GatedTasks acts={acts} />
    </main>
  );
}

/** Tasks their gate holds in the inbox (docs/tasks.md "Gates"), oldest first. */
function GatedTasks({ acts }: { acts: boolean }) {
  const inbox = useLiveQuery<{ tasks: Task[] }>(
    ["tasks", "inbox"],
    "/tasks?status=inbox&limit=1000",
  );
  const gated = (inbox.data?.tasks ?? []).filter(awaitsApproval).reverse();
  return (
    <section aria-label="tasks awaiting approval">
      <h2>Tasks</h2>
      {inbox.data && gated.length === 0 && <p className="empty">No task waits for approval.</p>}
      {gated.map((task) => (
        <article className="approval" key={task.id} data-task={task.id}>
          <p>
            <a href={botHref(task.botName)}>{task.botName}</a> · <strong>{task.title}</strong>
          </p>
          <pre className="command">{task.prompt}</pre>
          <p className="muted">
            {task.gate!.by}: {task.gate!.reason} · by {task.createdBy},{" "}
            {new Date(task.createdAt).toLocaleString()}
          </p>
          {acts && (
            <div className="card-actions">
              <GateButtons task={task} />
            </div>
          )}
        </article>
      ))}
    </section>
  );
}

function Request({ approval, acts }: { approval: Pending; acts: boolean }) {
  const queries = useQueryClient();
  const decide = useMutation({
    mutationFn: (decision: "allow-once" | "deny") =>
      api(
        `/bots/${encodeURIComponent(approval.bot)}/approvals/${encodeURIComponent(approval.id)}`,
        {
          method: "POST",
          body: { decision },
        },
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["approvals"] }),
  });
  return (
    <article className="approval" data-approval={approval.id}>
      <p className="meta">
        <a href={botHref(approval.bot)}>{approval.bot}</a> asks to run on {approval.host}
        {approval.cwd && ` in ${approval.cwd}`} · expires{" "}
        {new Date(approval.expiresAt).toLocaleTimeString()}
      </p>
      <pre className="command">{approval.command}</pre>
      <p className="meta">
        policy: {approval.policy.decision} ({approval.policy.by}): {approval.policy.reason}
      </p>
      {acts && (
        <div className="card-actions">
          <button
            type="button"
            disabled={decide.isPending}
            onClick={() => decide.mutate("allow-once")}
          >
            Allow once
          </button>
          <button
            type="button"
            className="danger"
            disabled={decide.isPending}
            onClick={() => decide.mutate("deny")}
          >
            Deny
          </button>
        </div>
      )}
      {decide.error && (
        <p className="error" role="alert">
          {decide.error.message}
        </p>
      )}
    </article>
  );
}
