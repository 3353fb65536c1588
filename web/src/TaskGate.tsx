import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Task } from "../../src/core/task.js";
import { api } from "./api.js";

/** Whether a task's gate holds it for a person now (docs/tasks.md "Gates"). */
export const awaitsApproval = (task: Task) =>
  task.gate?.state === "pending" && task.status === "inbox";

/** Approve or deny a gated task (the API checks the caller's role anyway). */
export function GateButtons({ task }: { task: Task }) {
  const queries = useQueryClient();
  const decide = useMutation({
    mutationFn: ({ verb, reason }: { verb: "approve" | "deny"; reason?: string }) =>
      api(`/tasks/${encodeURIComponent(task.id)}/${verb}`, {
        method: "POST",
        body: reason ? { reason } : {},
      }),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["tasks"] }),
  });
  return (
    <>
      <button
        type="button"
        disabled={decide.isPending}
        onClick={() => decide.mutate({ verb: "approve" })}
      >
        Approve
      </button>
      <button
        type="button"
        className="danger"
        disabled={decide.isPending}
        onClick={() => {
          const reason = prompt(`Deny "${task.title}"? Reason (optional):`);
          if (reason !== null) decide.mutate({ verb: "deny", reason: reason.trim() || undefined });
        }}
      >
        Deny
      </button>
      {decide.error && <span className="error">{decide.error.message}</span>}
    </>
  );
}
