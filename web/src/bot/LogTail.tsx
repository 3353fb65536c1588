import { useEffect, useRef, useState } from "react";
import { api } from "../api.js";
import { type LogPage, appendLog, logLine } from "./log-model.js";
import { Failed } from "./states.js";

/** The log has no event of its own: read what is new this often while the tab is shown. */
const POLL_MS = 1_000;

/**
 * The gateway's log as it is written (`GET /api/v1/bots/:name/logs?cursor=`,
 * secrets masked by the daemon): new lines are appended and followed unless
 * the reader scrolled up or paused.
 */
export default function LogTail({ name }: { name: string }) {
  const [lines, setLines] = useState<string[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    if (paused) return;
    let cursor: number | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      if (!document.hidden) {
        try {
          const query: string = cursor === null ? "" : `?cursor=${cursor}`;
          const page: LogPage = await api<LogPage>(`/bots/${name}/logs${query}`);
          if (stopped) return;
          cursor = page.cursor;
          setLines((shown) => appendLog(shown ?? [], page));
          setError(null);
        } catch (failure) {
          if (stopped) return;
          setError(failure as Error);
        }
      }
      timer = setTimeout(() => void tick(), POLL_MS);
    };
    // Resuming starts from the tail again: what was skipped while paused is not replayed.
    setLines(null);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [name, paused]);

  useEffect(() => {
    if (atBottom.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  const q = filter.trim().toLowerCase();
  const shown = (lines ?? []).filter((line) => !q || line.toLowerCase().includes(q));
  return (
    <section className="panel" aria-label="log">
      <div className="panel-head">
        <h2>Gateway log</h2>
        <input
          type="search"
          className="small"
          placeholder="Filter lines…"
          aria-label="filter log lines"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <button type="button" className="quiet" onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      {error && <Failed error={error} what="the log" />}
      {lines === null && !error && (
        <p className="muted loading" role="status">
          Loading the log…
        </p>
      )}
      {lines !== null && lines.length === 0 && (
        <p className="muted empty-state">The gateway has written nothing yet.</p>
      )}
      {lines !== null && lines.length > 0 && (
        <div
          className="log"
          ref={box}
          role="log"
          aria-live="polite"
          tabIndex={0}
          onScroll={(event) => {
            const el = event.currentTarget;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {shown.map((line, i) => {
            const { time, level, text } = logLine(line);
            return (
              <div key={i} className={`log-line ${level ?? ""}`}>
                {time && <time dateTime={time}>{time.slice(11, 23)}</time>}
                {level && <span className="level">{level}</span>}
                {text}
              </div>
            );
          })}
        </div>
      )}
      <p className="muted hint">
        {paused ? "Paused." : "Following: new lines every second."} Secrets are masked by the
        daemon.
      </p>
    </section>
  );
}
