import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliResult,
  type RunningDaemon,
  freePort,
  runCli,
  startUp,
  tempDir,
} from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "access cli password");

/**
 * Team access as an operator meets it: `clawops up`, then users and tokens
 * made with the CLI on the daemon's host, used over HTTP as a script and a
 * browser would, revoked, and every change in the audit trail.
 */
describe("clawops user, token and audit against a running daemon", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let port = 0;
  const cli = (args: string[], input?: string): Promise<CliResult> =>
    runCli(args, {
      cwd: work.dir,
      env: { CLAWOPS_HTTP_PORT: String(port) },
      ...(input === undefined ? {} : { input }),
    });
  const json = async <T>(args: string[], input?: string): Promise<T> => {
    const result = await cli([...args, "--json"], input);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const api = (route: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}/api/v1${route}`, {
      ...init,
      headers: { "x-clawops-client": "script", ...headers },
    });

  beforeAll(async () => {
    work = tempDir("clawops-access-cli-");
    port = await freePort();
    daemon = await startUp({ cwd: work.dir, port });
  });
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    work.remove();
  });

  it("refuses to serve a non-loopback address over plain HTTP unless told to", async () => {
    const other = tempDir("clawops-exposed-");
    try {
      const refused = await runCli(["up"], {
        cwd: other.dir,
        env: { CLAWOPS_HTTP_HOST: "0.0.0.0", CLAWOPS_HTTP_PORT: String(await freePort()) },
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("http.host 0.0.0.0 is not loopback");
      expect(refused.stderr).toContain("http.insecure: true");
    } finally {
      other.remove();
    }
  });

  it("keeps the local credential private, and the CLI works through it", async () => {
    const file = path.join(work.dir, ".clawops", "cli-credential");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const status = await cli(["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect((await api("/bots")).status).toBe(401);
  });

  it("opens a one-time setup link for the first owner: once, and for nothing else", async () => {
    const file = path.join(work.dir, ".clawops", "setup-link");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const link = new URL(readFileSync(file, "utf8").trim());
    expect(`${link.origin}${link.pathname}`).toBe(`http://127.0.0.1:${port}/setup`);
    const token = link.hash.slice(1);
    // The daemon's log names the file, never the link.
    expect(daemon.output()).toContain(file);
    // Its secret is everything after `clawops_<id>_` (base64url: it may hold "_" itself).
    const secret = token.split("_").slice(2).join("_");
    expect(secret.length).toBeGreaterThan(40);
    expect(daemon.output()).not.toContain(secret);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(
      /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-/,
    );
    expect(await page.text()).toContain("Create the first owner");
    // The setup token authenticates nothing but the setup.
    const bots = await api("/bots", { authorization: `Bearer ${token}` });
    expect(bots.status).toBe(401);
    expect(await bots.text()).toContain("only creates the first owner");
    const setup = (body: object) =>
      api(
        "/auth/setup",
        { "content-type": "application/json" },
        {
          method: "POST",
          body: JSON.stringify(body),
        },
      );
    // Refused input leaves the link working.
    expect((await setup({ token, name: "founder", password: "short" })).status).toBe(400);
    expect((await setup({ token: `${token}x`, name: "founder", password: PASSWORD })).status).toBe(
      401,
    );
    const made = await setup({ token, name: "founder", password: PASSWORD });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { user: unknown }).user).toMatchObject({
      name: "founder",
      role: "owner",
      org: "default",
    });
    const jar = { cookie: made.headers.get("set-cookie")!.split(";")[0]! };
    const me = (await (await api("/auth/me", jar)).json()) as { principal: unknown };
    expect(me.principal).toMatchObject({ kind: "user", name: "founder", role: "owner" });
    expect(existsSync(file)).toBe(false);
    const again = await setup({ token, name: "second", password: PASSWORD });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("the first owner exists already");
    const link2 = await cli(["user", "setup-link"]);
    expect(link2.code).toBe(1);
    expect(link2.stderr).toContain("clawops has users already");
  });

  it("adds users from stdin, refuses a short password and an unknown role, lists them", async () => {
    const added = await json<{ user: { name: string; role: string; org: string } }>(
      ["user", "add", "olive", "--role", "operator"],
      `${PASSWORD}\n`,
    );
    expect(added.user).toMatchObject({ name: "olive", role: "operator", org: "default" });
    const short = await cli(["user", "add", "sam", "--role", "viewer"], "short\n");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 12 characters");
    const role = await cli(["user", "add", "sam", "--role", "root"], `${PASSWORD}\n`);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/Allowed choices are viewer, operator, admin, owner/);
    const again = await cli(["user", "add", "olive", "--role", "viewer"], `${PASSWORD}\n`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a user named "olive" already exists');
    const { users } = await json<{ users: { name: string }[] }>(["user", "list"]);
    expect(users.map((u) => u.name).sort()).toEqual(["founder", "olive"]);
    expect(JSON.stringify(users)).not.toMatch(/scrypt|passwordHash/);
  });

  it("logs a user in: the cookie reads, writes need the CSRF token, an operator cannot manage users", async () => {
    const login = await api(
      "/auth/login",
      { "content-type": "application/json" },
      {
        method: "POST",
        body: JSON.stringify({ name: "olive", password: PASSWORD }),
      },
    );
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(
      /^clawops_login=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const jar = { cookie: cookie.split(";")[0]! };
    const me = (await (await api("/auth/me", jar)).json()) as { principal: unknown };
    expect(me.principal).toMatchObject({ kind: "user", name: "olive", role: "operator" });
    const pause = { method: "POST" };
    expect((await api("/repairs/pause", jar, pause)).status).toBe(403);
    expect((await api("/repairs/pause", { ...jar, "x-csrf-token": csrfToken }, pause)).status).toBe(
      200,
    );
    expect(
      (await api("/repairs/resume", { ...jar, "x-csrf-token": csrfToken }, pause)).status,
    ).toBe(200);
    expect((await api("/users", jar)).status).toBe(403);
    const wrong = await api(
      "/auth/login",
      { "content-type": "application/json" },
      {
        method: "POST",
        body: JSON.stringify({ name: "olive", password: "not the password" }),
      },
    );
    expect(wrong.status).toBe(401);
    const out = await api(
      "/auth/logout",
      { ...jar, "x-csrf-token": csrfToken },
      { method: "POST" },
    );
    expect(out.status).toBe(200);
    expect((await api("/auth/me", jar)).status).toBe(401);
  });

  it("creates a token shown once, scoped to its role; revoking it refuses the next call", async () => {
    const created = await json<{ token: { id: string; role: string }; secret: string }>([
      "token",
      "create",
      "ci",
      "--role",
      "viewer",
      "--expires",
      "30d",
    ]);
    // Printed once by design, so not a witness secret: the daemon's log must not have it.
    expect(created.secret).toMatch(/^clawops_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const bearer = { authorization: `Bearer ${created.secret}` };
    expect((await api("/bots", bearer)).status).toBe(200);
    const start = await api("/repairs/pause", bearer, { method: "POST" });
    expect(start.status).toBe(403);
    expect(await start.text()).toContain(
      "token:ci is viewer: POST /api/v1/repairs/pause needs operator",
    );
    const listed = await cli(["token", "list"]);
    expect(listed.stdout).toMatch(/ci\s+viewer\s+default\s+api/);
    expect(listed.stdout).not.toContain(created.secret.slice(-20));
    expect((await cli(["token", "revoke", "ci"])).code).toBe(0);
    const after = await api("/bots", bearer);
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('the token \\"ci\\" was revoked');
    // The secret's random part (base64url: it may hold "_" itself, so not a split on "_").
    expect(daemon.output()).not.toContain(created.secret.slice(-43));
  });

  it("keeps an audit trail of API writes and CLI changes, who and from where", async () => {
    const { entries } = await json<{
      entries: {
        actor: string;
        method: string;
        route: string;
        target: string | null;
        status: number;
        source: string;
      }[];
    }>(["audit", "--since", "1h"]);
    const seen = entries.map(
      (e) => `${e.actor} ${e.method} ${e.route} ${e.target ?? "-"} ${e.status}`,
    );
    expect(seen).toEqual(
      expect.arrayContaining([
        "user:founder POST /api/v1/auth/setup founder 201",
        "cli CLI user add olive 200",
        "cli CLI user add olive 409",
        "cli CLI token create ci 200",
        "cli CLI token revoke ci 200",
        "user:olive POST /api/v1/repairs/pause - 200",
        "user:olive POST /api/v1/repairs/pause - 403",
        "anonymous POST /api/v1/auth/login olive 401",
        "token:ci POST /api/v1/repairs/pause - 403",
      ]),
    );
    expect(entries.find((e) => e.actor === "user:olive")?.source).toBe("127.0.0.1");
    const human = await cli(["audit", "--actor", "token:ci"]);
    expect(human.stdout).toMatch(/^AT\s+ACTOR\s+ORG\s+CALL/m);
    expect(human.stdout).toContain("POST /api/v1/repairs/pause");
    // Removing a user ends them everywhere.
    expect((await cli(["user", "remove", "olive"])).code).toBe(0);
    expect((await cli(["user", "remove", "olive"])).code).toBe(1);
  });
});
