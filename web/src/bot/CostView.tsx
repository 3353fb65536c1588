import { useState } from "react";
import { useLiveQuery } from "../live.js";
import { type CostRow, type DayCost, dailySeries, modelShares, usd } from "./cost-model.js";
import { Loadable } from "./states.js";

const DAYS = 30;

/**
 * What the bot spent, by UTC day over the last 30 days and by model, summed
 * by the daemon from the messages it keeps (`GET /api/v1/cost`). Refetched
 * with the sessions: a new message is new spend.
 */
export default function CostView({ name }: { name: string }) {
  const since = `${DAYS}d`;
  const days = useLiveQuery<{ rows: CostRow[] }>(
    ["sessions", name, "cost", "day"],
    `/cost?by=day&bot=${name}&since=${since}`,
  );
  const models = useLiveQuery<{ rows: CostRow[] }>(
    ["sessions", name, "cost", "model"],
    `/cost?by=model&bot=${name}&since=${since}`,
  );
  return (
    <div className="columns">
      <section className="panel" aria-label="cost by day">
        <h2>By day, last {DAYS} days</h2>
        <Loadable
          data={days.data}
          error={days.error}
          what="the cost by day"
          empty={(d) => d.rows.length === 0}
          emptyText={`No messages in the last ${DAYS} days.`}
        >
          {(d) => <DayChart series={dailySeries(d.rows, DAYS, Date.now())} />}
        </Loadable>
      </section>
      <section className="panel" aria-label="cost by model">
        <h2>By model</h2>
        <Loadable
          data={models.data}
          error={models.error}
          what="the cost by model"
          empty={(d) => d.rows.length === 0}
          emptyText="No model has answered yet."
        >
          {(d) => (
            <table className="list">
              <thead>
                <tr>
                  <th>Model</th>
                  <th className="num">Messages</th>
                  <th className="num">Tokens in / out</th>
                  <th className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {modelShares(d.rows).map((row) => (
                  <tr key={row.key ?? "none"} data-model={row.key ?? ""}>
                    <td>
                      {row.label ?? row.key ?? "(unknown)"}
                      <svg
                        className="share"
                        viewBox="0 0 100 4"
                        preserveAspectRatio="none"
                        aria-hidden="true"
                      >
                        <rect width={Math.max(row.share * 100, row.share > 0 ? 1 : 0)} height="4" />
                      </svg>
                    </td>
                    <td className="num">{row.messages}</td>
                    <td className="num">
                      {row.input} / {row.output}
                    </td>
                    <td className="num">{usd(row.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loadable>
      </section>
    </div>
  );
}

/**
 * Bars in SVG (no chart library on the first page; uPlot is not installed): cost, or tokens
 * where nothing was priced (a local model at zero cost still shows its use).
 */
function DayChart({ series }: { series: DayCost[] }) {
  const priced = series.some((d) => d.costUsd > 0);
  const [metric, setMetric] = useState<"cost" | "tokens">(priced ? "cost" : "tokens");
  const value = (d: DayCost) => (metric === "cost" ? d.costUsd : d.tokens);
  const max = Math.max(...series.map(value), 0);
  const total = series.reduce((sum, d) => sum + value(d), 0);
  const width = 600;
  const height = 140;
  const step = width / series.length;
  return (
    <>
      <div className="segmented" role="group" aria-label="chart metric">
        {(["cost", "tokens"] as const).map((m) => (
          <button
            key={m}
            type="button"
            className="quiet"
            aria-pressed={metric === m}
            onClick={() => setMetric(m)}
          >
            {m}
          </button>
        ))}
        <span className="muted">total {metric === "cost" ? usd(total) : `${total} tokens`}</span>
      </div>
      <svg
        className="bars"
        viewBox={`0 0 ${width} ${height + 16}`}
        role="img"
        aria-label={`${metric} per day, ${series[0]?.day} to ${series.at(-1)?.day}`}
      >
        {series.map((d, i) => {
          const h = max > 0 ? (value(d) / max) * height : 0;
          return (
            <g key={d.day} data-day={d.day}>
              <rect
                x={i * step + 1}
                y={height - h}
                width={step - 2}
                height={Math.max(h, value(d) > 0 ? 1 : 0)}
              >
                <title>
                  {d.day}: {usd(d.costUsd)}, {d.tokens} tokens
                </title>
              </rect>
              {i % 7 === series.length % 7 && (
                <text x={i * step + step / 2} y={height + 13} textAnchor="middle">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
        <line x1="0" x2={width} y1={height} y2={height} />
      </svg>
    </>
  );
}
