import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Principal } from "../../src/core/access.js";
import { ApiError, api, rememberCsrf } from "./api.js";
import { BotDetail } from "./BotDetail.js";
import { Fleet } from "./Fleet.js";
import { Login } from "./Login.js";
import { useRoute } from "./route.js";

/** Who is logged in decides the page: the login form, or Mission Control. */
export function App() {
  const queries = useQueryClient();
  const route = useRoute();
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
  const { principal } = me.data;
  const logout = async () => {
    await api("/auth/logout", { method: "POST" }).catch(() => undefined);
    rememberCsrf(null);
    queries.removeQueries({ queryKey: ["status"] });
    await queries.resetQueries({ queryKey: ["me"] });
  };
  return (
    <>
      <header className="topbar">
        <a className="brand" href="#/">
          clawops
        </a>
        <span className="title">Mission Control</span>
        <span className="who">
          {principal.name} · {principal.role} of {principal.org}
        </span>
        {principal.kind === "user" && (
          <button type="button" className="quiet" onClick={() => void logout()}>
            Log out
          </button>
        )}
      </header>
      {route.page === "bot" ? <BotDetail name={route.name} principal={principal} /> : <Fleet />}
    </>
  );
}
