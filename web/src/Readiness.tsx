import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ReadinessReport, ReadinessResult } from "../../src/readiness/runner.js";
import { api } from "./api.js";

const LABEL = { pass: "pass", warn: "warn", fail: "fail", skip: "skipped" } as const;

/**
 * The production-readiness report (docs/readiness.md): the score, then each
 * component the install declares with its verdict, what was seen, the
 * evidence and the fix. The daemon keeps a report for a few minutes; "Check
 * again" runs every check now.
 */
export default function Readiness() {
  const queries = useQueryClient();
  const [refreshing, setRefreshing] = useState(false);
  const report = useQuery({
    queryKey: ["readiness"],
    queryFn: () => api<{ report: ReadinessReport; fresh: boolean }>("/readiness"),
    staleTime: 60_000,
  });
  const refresh = async () => {
    setRefreshing(true);
    try {
      const next = await api<{ report: ReadinessReport; fresh: boolean }>(
        "/readiness?refresh=true",
      );
      queries.setQueryData(["readiness"], next);
    } catch {
      await queries.invalidateQueries({ queryKey: ["readiness"] });
    } finally {
      setRefreshing(false);
    }
  };
  const data = report.data?.report;
  return (
    <main className="readiness-page">
      <h1>Production readiness</h1>
      {report.isPending && <p className="muted">Checking every component… (up to a minute)</p>}
      {report.error && (
        <p className="error" role="alert">
          {report.error.message}
        </p>
      )}
      {data && (
        <>
          <section className={`score-panel ${data.status}`} aria-label="score">
            <span className="score" data-testid="readiness-score">
              {data.score}
              <small>/100</small>
            </span>
            <span>
              <strong className={`verdict ${data.status}`}>{LABEL[data.status]}</strong>
              <br />
              {data.counts.pass} pass · {data.counts.warn} warn · {data.counts.fail} fail
              {data.counts.skip > 0 && ` · ${data.counts.skip} skipped`}
              <br />
              <span className="muted">
                checked {new Date(data.timings.generatedAt).toLocaleString()} in{" "}
                {(data.timings.durationMs / 1000).toFixed(1)} s
              </span>
            </span>
            <button type="button" disabled={refreshing} onClick={() => void refresh()}>
              {refreshing ? "Checking…" : "Check again"}
            </button>
          </section>
          <ul className="readiness-list">
            {data.results.map((result) => (
              <Component key={result.name} result={result} />
            ))}
          </ul>
          <p className="muted">
            Score: the weighted mean of pass (1), warn (½) and fail (0). The CLI&apos;s{" "}
            <code>clawops readiness --markdown FILE --fail-under SCORE</code> writes the same report
            for review and CI.
          </p>
        </>
      )}
    </main>
  );
}

function Component({ result }: { result: ReadinessResult }) {
  const evidence = Object.entries(result.evidence).sort(([a], [b]) => a.localeCompare(b));
  return (
    <li className={`readiness-item ${result.status}`} data-check={result.name}>
      <div className="readiness-head">
        <span className={`verdict ${result.status}`}>{LABEL[result.status]}</span>
        <strong>{result.name}</strong>
        <span className="muted">
          {result.title} · {result.target}
        </span>
      </div>
      <p>{result.summary}</p>
      {result.fix && (
        <p className="fix">
          <strong>Fix:</strong> {result.fix}
        </p>
      )}
      {evidence.length > 0 && (
        <dl className="evidence">
          {evidence.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{Array.isArray(value) ? value.join(", ") : String(value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </li>
  );
}
