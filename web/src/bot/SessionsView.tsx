import { useDeferredValue, useState } from "react";
import type { MessageRecord, SessionRecord } from "../../../src/core/session.js";
import { useLiveQuery, useLiveRoom } from "../live.js";
import { botHref, sessionHref } from "../route.js";
import { usd } from "./cost-model.js";
import { Loadable } from "./states.js";
import {
  type TranscriptItem,
  argumentsPreview,
  searchTranscript,
  transcriptItems,
} from "./transcript-model.js";

/**
 * A bot's sessions, searchable over their messages (the API's `search`), and
 * one session's transcript. Both follow `bot:<name>:sessions`: a message
 * ingested from the gateway refetches them.
 */
export default function SessionsView({ name, session }: { name: string; session: string | null }) {
  useLiveRoom(`bot:${name}:sessions`);
  return session === null ? <SessionList name={name} /> : <Transcript name={name} id={session} />;
}

function SessionList({ name }: { name: string }) {
  const [search, setSearch] = useState("");
  const query = useDeferredValue(search.trim());
  const path = `/sessions?bot=${name}&limit=100${query ? `&search=${encodeURIComponent(query)}` : ""}`;
  const sessions = useLiveQuery<{ sessions: SessionRecord[] }>(
    ["sessions", name, "list", query],
    path,
  );
  return (
    <section className="panel" aria-label="sessions">
      <div className="panel-head">
        <h2>Sessions</h2>
        <input
          type="search"
          className="small"
          placeholder="Search messages…"
          aria-label="search sessions"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      <Loadable
        data={sessions.data}
        error={sessions.error}
        what="the sessions"
        empty={(d) => d.sessions.length === 0}
        emptyText={query ? `No message contains "${query}".` : "No sessions yet."}
      >
        {(d) => (
          <div className="table-wrap">
            <table className="list">
              <thead>
                <tr>
                  <th>Session</th>
                  <th className="num">Messages</th>
                  <th className="num">Tokens</th>
                  <th className="num">Cost</th>
                  <th>Last activity</th>
                </tr>
              </thead>
              <tbody>
                {d.sessions.map((s) => (
                  <tr key={s.sessionId} data-session={s.sessionId}>
                    <td>
                      <a href={sessionHref(name, s.sessionId)}>{s.sessionKey}</a>
                      <div className="muted">
                        {s.modelUsed ?? s.modelConfigured ?? "–"}
                        {s.channel ? ` · ${s.channel}` : ""}
                        {s.deletedOnGateway ? " · gone from the gateway" : ""}
                      </div>
                    </td>
                    <td className="num">{s.messageCount}</td>
                    <td className="num">{s.usage.input + s.usage.output}</td>
                    <td className="num">{usd(s.usage.costUsd)}</td>
                    <td>{s.lastActivityAt ? new Date(s.lastActivityAt).toLocaleString() : "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loadable>
    </section>
  );
}

const PAGE = 1000;

function Transcript({ name, id }: { name: string; id: string }) {
  const [search, setSearch] = useState("");
  const base = `/bots/${name}/sessions/${encodeURIComponent(id)}`;
  const session = useLiveQuery<{ session: SessionRecord }>(["sessions", name, id], base);
  const messages = useLiveQuery<{ messages: MessageRecord[]; nextAfter: number | null }>(
    ["sessions", name, id, "messages"],
    `${base}/messages?limit=${PAGE}`,
  );
  const items = messages.data ? transcriptItems(messages.data.messages) : [];
  const shown = searchTranscript(items, search);
  const s = session.data?.session;
  return (
    <section className="panel" aria-label="transcript">
      <p>
        <a href={botHref(name, "sessions")}>← Sessions</a>
      </p>
      <div className="panel-head">
        <h2>{s?.sessionKey ?? id}</h2>
        <input
          type="search"
          className="small"
          placeholder="Search this transcript…"
          aria-label="search transcript"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      {s && (
        <p className="muted">
          {s.messageCount} messages · {s.usage.input} in / {s.usage.output} out tokens ·{" "}
          {usd(s.usage.costUsd)} · {s.modelUsed ?? s.modelConfigured ?? "–"}
        </p>
      )}
      <Loadable
        data={messages.data}
        error={messages.error ?? session.error}
        what="the transcript"
        empty={(d) => d.messages.length === 0}
        emptyText="No messages yet."
      >
        {(d) => (
          <>
            {search && (
              <p className="muted" role="status">
                {shown.length} of {items.length} match
              </p>
            )}
            <ol className="transcript">
              {shown.map((item) => (
                <Message key={item.message.seq} item={item} />
              ))}
            </ol>
            {d.nextAfter !== null && <p className="muted">The first {PAGE} messages are shown.</p>}
          </>
        )}
      </Loadable>
    </section>
  );
}

function Message({ item: { message, calls } }: { item: TranscriptItem }) {
  return (
    <li
      className={`msg ${message.role}${message.isError ? " failed" : ""}`}
      data-role={message.role}
    >
      <div className="msg-head">
        <span className="role">{message.role === "tool" ? "tool result" : message.role}</span>
        <time dateTime={message.at}>{new Date(message.at).toLocaleTimeString()}</time>
        {message.model && <span className="muted">{message.model}</span>}
        {message.usage && (
          <span className="muted">
            {message.usage.input}/{message.usage.output} tok · {usd(message.usage.costUsd)}
          </span>
        )}
        {message.latencyMs !== null && <span className="muted">{message.latencyMs} ms</span>}
      </div>
      {message.text && <div className="msg-text">{message.text}</div>}
      {calls.map(({ call, result }, i) => {
        const args = argumentsPreview(call.arguments);
        return (
          <details key={call.id ?? i} className="tool-call">
            <summary>
              <span className="tool-name">{call.name}</span> <code>{args.short}</code>
              {result?.isError && <span className="badge down">error</span>}
            </summary>
            <pre>{args.full}</pre>
            {result ? (
              <pre className={result.isError ? "tool-result failed" : "tool-result"}>
                {result.text}
              </pre>
            ) : (
              <p className="muted">No result yet.</p>
            )}
          </details>
        );
      })}
    </li>
  );
}
