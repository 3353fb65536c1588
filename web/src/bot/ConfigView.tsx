import { useQuery } from "@tanstack/react-query";
import type { Principal } from "../../../src/core/access.js";
import type { Finding } from "../../../src/core/finding.js";
import { api } from "../api.js";
import { configLines } from "./config-model.js";
import { Failed, Loadable } from "./states.js";

interface DoctorReport {
  configFile: string;
  findings: Finding[];
  counts: { error: number; warning: number; info: number };
  durationMs: number;
}
interface BotConfig {
  configFile: string;
  config: Record<string, unknown> | null;
  problem: string | null;
}

const OPERATORS = new Set(["operator", "admin", "owner"]);

/**
 * The bot's config, masked by the daemon (`GET /api/v1/bots/:name/config`,
 * operators), with the doctor's findings under the lines they are about. A
 * viewer sees the findings only. The full doctor runs OpenClaw's own lint (4 s
 * idle, tens of seconds on a busy host), so the quick rules answer first and
 * the full report replaces them; both are read when the tab opens and on
 * "Check again", not on every event.
 */
export default function ConfigView({ name, principal }: { name: string; principal: Principal }) {
  const operator = OPERATORS.has(principal.role);
  const quick = useQuery({
    queryKey: ["doctor", name, "fast"],
    queryFn: () => api<{ report: DoctorReport }>(`/bots/${name}/doctor?fast=true`),
  });
  const full = useQuery({
    queryKey: ["doctor", name, "all"],
    queryFn: () => api<{ report: DoctorReport }>(`/bots/${name}/doctor`),
  });
  // The full report once it is there; the quick one until then, or when the full one failed.
  const doctor = full.data ? full : quick;
  const config = useQuery({
    queryKey: ["config", name],
    queryFn: () => api<BotConfig>(`/bots/${name}/config`),
    enabled: operator,
  });
  const report = doctor.data?.report;
  const layout =
    config.data?.config && report ? configLines(config.data.config, report.findings) : null;
  const general = layout ? layout.general : (report?.findings ?? []);
  return (
    <section className="panel" aria-label="config">
      <div className="panel-head">
        <h2>Config and doctor</h2>
        {report && (
          <span className="counts" data-scope={full.data ? "full" : "fast"}>
            <span className="badge down">{report.counts.error} errors</span>{" "}
            <span className="badge degraded">{report.counts.warning} warnings</span>{" "}
            <span className="badge off">{report.counts.info} info</span>
          </span>
        )}
        <button
          type="button"
          className="quiet"
          disabled={full.isFetching}
          onClick={() => {
            void quick.refetch();
            void full.refetch();
            if (operator) void config.refetch();
          }}
        >
          {full.isFetching ? "Checking…" : "Check again"}
        </button>
      </div>
      {full.isFetching && quick.data && (
        <p className="muted" role="status">
          Quick rules shown; OpenClaw&apos;s own lint is running…
        </p>
      )}
      {full.error && quick.data && <Failed error={full.error} what="the full doctor" />}
      <p className="muted">{report?.configFile ?? config.data?.configFile}</p>
      <Loadable data={report} error={doctor.error} what="the doctor's findings" emptyText="">
        {(r) =>
          general.length === 0 && r.findings.length === 0 ? (
            <p className="muted empty-state">The doctor finds nothing wrong.</p>
          ) : (
            <ul className="findings">
              {general.map((f, i) => (
                <FindingItem key={`${f.id}-${i}`} finding={f} />
              ))}
            </ul>
          )
        }
      </Loadable>
      {!operator ? (
        <p className="muted">The config itself is shown to operators, admins and owners.</p>
      ) : config.error ? (
        <Failed error={config.error} what="the config" />
      ) : !config.data ? (
        <p className="muted loading" role="status">
          Loading the config…
        </p>
      ) : config.data.config === null ? (
        <p className="error" role="alert">
          {config.data.problem}
        </p>
      ) : (
        <ol className="config" aria-label="config lines">
          {(layout?.lines ?? configLines(config.data.config, []).lines).map((line) => (
            <li
              key={line.path}
              className={`depth-${Math.min(line.depth, 8)}`}
              data-path={line.path}
            >
              <span className="key">{line.key}</span>
              {line.value !== null && <span className="value">{line.value}</span>}
              {line.findings.length > 0 && (
                <ul className="findings">
                  {line.findings.map((f, i) => (
                    <FindingItem key={`${f.id}-${i}`} finding={f} />
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function FindingItem({ finding }: { finding: Finding }) {
  const tone =
    finding.severity === "error" ? "down" : finding.severity === "warning" ? "degraded" : "off";
  return (
    <li className={`finding ${finding.severity}`} data-finding={finding.id}>
      <span className={`badge ${tone}`}>{finding.severity}</span> <code>{finding.path}</code>{" "}
      {finding.message}
      {finding.fix && (
        <div className="fix">
          Fix: {finding.fix.summary}
          {finding.fix.kind === "manual" && finding.fix.command && (
            <>
              {" "}
              <code>{finding.fix.command}</code>
            </>
          )}
          {finding.fix.kind !== "manual" && <span className="muted"> (clawops doctor --fix)</span>}
        </div>
      )}
    </li>
  );
}
