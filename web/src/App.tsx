import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, Suspense, lazy } from "react";
import type { Principal } from "../../src/core/access.js";
import { ApiError, api, rememberCsrf } from "./api.js";
import { BotDetail } from "./BotDetail.js";
import { Fleet } from "./Fleet.js";
import { Login } from "./Login.js";
import { LiveContext, useLiveEvents } from "./live.js";
import { Bell, NotificationsContext, useNotifications } from "./notify.js";
import { type Route, useRoute } from "./route.js";

// Not on the first page: loaded when first opened.
const Tasks = lazy(() => import("./Tasks.js"));
const Approvals = lazy(() => import("./Approvals.js"));
const NotificationsPage = lazy(() => import("./Notifications.js"));
const Repairs = lazy(() => import("./Repairs.js"));
const Access = lazy(() => import("./Access.js"));
const Readiness = lazy(() => import("./Readiness.js"));

const ADMINS = new Set(["admin", "owner"]);

/** Who is logged in decides the page: the login form, or Mission Control. */
export function App() {
  const queries = useQueryClient();
  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => api<{ principal: Principal }>("/auth/me"),
  });
  if (me.isPending) return <main className="splash">clawops</main>;
  if (me.error instanceof ApiError && me.error.status === 401)
    return <Login onLoggedIn={() => void queries.invalidateQueries()} />;
  if (me.error)
    return (
      <main className="splash">
        <p className="error" role="alert">
          {me.error.message}
        </p>
      </main>
    );
  return <Shell principal={me.data.principal} />;
}

/** Mission Control for a logged-in principal, fed live by its organisation's events. */
function Shell({ principal }: { principal: Principal }) {
  const queries = useQueryClient();
  const route = useRoute();
  const live = useLiveEvents(principal.org);
  const admin = ADMINS.has(principal.role);
  // The readiness report is about infrastructure every organisation shares: the install's own only.
  const daemonWide = principal.org === "default";
  const logout = async () => {
    await api("/auth/logout", { method: "POST" }).catch(() => undefined);
    rememberCsrf(null);
    queries.removeQueries({ queryKey: ["status"] });
    queries.removeQueries({ queryKey: ["notifications"] });
    await queries.resetQueries({ queryKey: ["me"] });
  };
  return (
    <LiveContext.Provider value={live}>
      <Centre principalId={principal.id}>
        <header className="topbar">
          <a className="brand" href="#/">
            clawops
          </a>
          <span className="title">Mission Control</span>
          <nav className="pages" aria-label="pages">
            <NavLink route={route} page="fleet" href="#/" label="Fleet" />
            <NavLink route={route} page="tasks" href="#/tasks" label="Tasks" />
            <NavLink route={route} page="approvals" href="#/approvals" label="Approvals" />
            <NavLink route={route} page="repairs" href="#/repairs" label="Repairs" />
            {daemonWide && (
              <NavLink route={route} page="readiness" href="#/readiness" label="Readiness" />
            )}
            {admin && <NavLink route={route} page="access" href="#/access" label="Access" />}
          </nav>
          <span className="who">
            {principal.name} · {principal.role} of {principal.org}
          </span>
          <Bell current={route.page === "notifications"} />
          {principal.kind === "user" && (
            <button type="button" className="quiet" onClick={() => void logout()}>
              Log out
            </button>
          )}
        </header>
        <Suspense fallback={<main className="splash">loading…</main>}>
          {route.page === "bot" ? (
            <BotDetail
              name={route.name}
              tab={route.tab}
              session={route.session}
              principal={principal}
            />
          ) : route.page === "tasks" ? (
            <Tasks principal={principal} />
          ) : route.page === "approvals" ? (
            <Approvals principal={principal} />
          ) : route.page === "notifications" ? (
            <NotificationsPage />
          ) : route.page === "repairs" ? (
            <Repairs principal={principal} />
          ) : route.page === "readiness" && daemonWide ? (
            <Readiness />
          ) : route.page === "access" && admin ? (
            <Access principal={principal} />
          ) : (
            <Fleet />
          )}
        </Suspense>
      </Centre>
    </LiveContext.Provider>
  );
}

/** The notification centre for the bell and its page (inside the live channel: it refetches it). */
function Centre({ principalId, children }: { principalId: string; children: ReactNode }) {
  const centre = useNotifications(principalId);
  return <NotificationsContext.Provider value={centre}>{children}</NotificationsContext.Provider>;
}

function NavLink(props: { route: Route; page: Route["page"]; href: string; label: string }) {
  const current =
    props.route.page === props.page || (props.page === "fleet" && props.route.page === "bot");
  return (
    <a href={props.href} aria-current={current ? "page" : undefined}>
      {props.label}
    </a>
  );
}
