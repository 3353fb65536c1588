import { useState } from "react";
import { type ListedNotification, kindLook, notificationKey, unread } from "./notify-model.js";
import { useNotificationCentre } from "./notify.js";
import { botHref } from "./route.js";

/**
 * The notification centre: what clawops told the organisation's operators
 * (repairs recovered or escalated, gateways down, budget warnings, execs
 * waiting for approval), newest first, live; unread ones stand out until
 * marked read (in this browser).
 */
export default function Notifications() {
  const { list, read, unreadCount, error, markRead } = useNotificationCentre();
  const [onlyUnread, setOnlyUnread] = useState(false);
  const shown = onlyUnread ? unread(list, read) : list;
  return (
    <main className="notifications-page">
      <div className="page-head">
        <h1>Notifications</h1>
        <span className="muted" aria-live="polite">
          {unreadCount === 0 ? "all read" : `${unreadCount} unread`}
        </span>
        <label className="check">
          <input
            type="checkbox"
            checked={onlyUnread}
            onChange={(event) => setOnlyUnread(event.currentTarget.checked)}
          />
          Unread only
        </label>
        <button
          type="button"
          className="quiet"
          disabled={unreadCount === 0}
          onClick={() => markRead(list.map(notificationKey))}
        >
          Mark all read
        </button>
      </div>
      <p className="muted">
        The daemon keeps the last 100 of your organisation since it started; read marks are kept in
        this browser.
      </p>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {shown.length === 0 && !error && (
        <p className="empty">{onlyUnread ? "Nothing unread." : "Nothing to report yet."}</p>
      )}
      <ol className="notices">
        {shown.map((n) => (
          <Notice
            key={`${n.seq}:${notificationKey(n)}`}
            notice={n}
            isRead={read.has(notificationKey(n))}
            onRead={() => markRead([notificationKey(n)])}
          />
        ))}
      </ol>
    </main>
  );
}

function Notice(props: { notice: ListedNotification; isRead: boolean; onRead: () => void }) {
  const { notice: n, isRead } = props;
  const look = kindLook(n.kind);
  return (
    <li className={isRead ? "notice" : "notice unread"} data-kind={n.kind}>
      <div className="notice-head">
        <span className={`badge ${look.tone}`}>{look.word}</span>
        <strong className="notice-title">{n.title}</strong>
        <time dateTime={n.ts}>{new Date(n.ts).toLocaleString()}</time>
      </div>
      {n.lines.length > 0 && (
        <ul className="notice-lines">
          {n.lines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
      {n.detail && (
        <details>
          <summary>Details</summary>
          <pre className="notice-detail">{n.detail}</pre>
        </details>
      )}
      <div className="card-actions">
        {n.bot && <a href={botHref(n.bot)}>{n.bot}</a>}
        {n.approval && <a href="#/approvals">Decide on the Approvals page</a>}
        {!isRead && (
          <button type="button" className="quiet" onClick={props.onRead}>
            Mark read
          </button>
        )}
      </div>
    </li>
  );
}
