import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy } from "react";
import type { Principal } from "../../src/core/access.js";
import { ApiError, api, rememberCsrf } from "./api.js";
import { BotDetail } from "./BotDetail.js";
import { Fleet } from "./Fleet.js";
import { Login } from "./Login.js";
import { LiveContext, useLiveEvents } from "./live.js";
import { type Route, useRoute } from "./route.js";

// Not on the first page: loaded when first opened.
const Tasks = lazy(() => import("./Tasks.js"));
const Approvals = lazy(() => import("./Approvals.js"));

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
  const logout = async () => {
    await api("/auth/logout", { method: "POST" }).catch(() => undefined);
    rememberCsrf(null);
    queries.removeQueries({ queryKey: ["status"] });
    await queries.resetQueries({ queryKey: ["me"] });
  };
  return (
    <LiveContext.Provider value={live}>
      <header className="topbar">
        <a className="brand" href="#/">
          clawops
        </a>
        <span className="title">Mission Control</span>
        <nav className="pages" aria-label="pages">
          <NavLink route={route} page="fleet" href="#/" label="Fleet" />
          <NavLink route={route} page="tasks" href="#/tasks" label="Tasks" />
          <NavLink route={route} page="approvals" href="#/approvals" label="Approvals" />
        </nav>
        <span className="who">
          {principal.name} · {principal.role} of {principal.org}
        </span>
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
        ) : (
          <Fleet />
        )}
      </Suspense>
    </LiveContext.Provider>
  );
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
