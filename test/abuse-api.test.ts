import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDaemon, freePort, startUp, tempDir } from "./helpers/cli.js";

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte on a fresh connection (no client library
 * that would fix the request up), read until the server closes it.
 */
function raw(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer within 10 s (a hang)")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
      const headers = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(":")).toLowerCase(),
          l.slice(l.indexOf(":") + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

/** A well-formed request with `Connection: close`; `headers` may replace Host. */
function request(
  port: number,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    connection: "close",
    ...options.headers,
  };
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(options.body));
  }
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return raw(port, `${method} ${target} HTTP/1.1\r\n${head}\r\n${options.body ?? ""}`);
}

/** The documented envelope, with the status, code and a request id equal to X-Request-Id. */
function expectEnvelope(answer: RawAnswer, status: number, code: string) {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as {
    error: { code: string; message: string; requestId: string };
  };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toBe(answer.headers["x-request-id"]);
  return body.error as {
    code: string;
    message: string;
    requestId: string;
    issues?: { path: string }[];
  };
}

/**
 * The daemon's API under abuse, the way a hostile local caller or a web page
 * that rebinds its name to 127.0.0.1 would try it: no executable and no file
 * outside the allowed roots is ever registered, nothing of such a file comes
 * back, foreign Host and Origin are refused, every error (including those
 * Node and Fastify produce before routing) has the documented envelope.
 */
describe("API abuse", () => {
  const scratch = tempDir("clawops-abuse-api-");
  const dir = scratch.dir;
  const dataDir = path.join(dir, ".clawops");
  const bots = path.join(dataDir, "bots");
  /** A file of the daemon's user outside every allowed root: nothing of it may come back. */
  const marker = "MARKER-not-a-gateway-config-7f3a9c";
  const private_ = path.join(dir, "private.txt");
  let daemon: RunningDaemon;
  let port = 0;
  const answers: RawAnswer[] = [];
  /** A request with the local CLI's credential, so that what is tested is past authentication. */
  const authed = (
    method: string,
    target: string,
    options: { headers?: Record<string, string>; body?: string } = {},
  ) =>
    request(port, method, target, {
      ...options,
      headers: { ...daemon.auth(), ...options.headers },
    });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const answer = await authed("POST", "/api/v1/bots", {
      headers: { "x-clawops-client": "test", ...headers },
      body: JSON.stringify(body),
    });
    answers.push(answer);
    return answer;
  };

  /** The bot's default state dir with a config in it: the registry takes only existing configs. */
  const writeConfig = (name: string) => {
    mkdirSync(path.join(bots, name), { recursive: true });
    writeFileSync(path.join(bots, name, "openclaw.json"), "{}", { mode: 0o600 });
  };

  beforeAll(async () => {
    writeFileSync(private_, `${marker}\nsecret content\n`, { mode: 0o600 });
    port = await freePort();
    daemon = await startUp({ cwd: dir, port });
  });
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    scratch.remove();
  });

  it("never registers an executable, a file outside the roots, or clawops's own files", async () => {
    expectEnvelope(await post({ name: "exe", openclawBin: "/bin/sh" }), 403, "FORBIDDEN");
    const bin = expectEnvelope(await post({ name: "exe2", openclawBin: "sh" }), 403, "FORBIDDEN");
    expect(bin.message).toContain("openclawBin");
    expect(bin.issues?.map((i) => i.path)).toEqual(["openclawBin"]);

    mkdirSync(path.join(bots, "trap"), { recursive: true });
    symlinkSync("/etc/shadow", path.join(bots, "trap", "openclaw.json"));
    symlinkSync(dir, path.join(bots, "up"));
    writeFileSync(path.join(bots, "plain-file"), "{}");
    linkSync(private_, path.join(bots, "hardlink.json"));
    const refused: [Record<string, unknown>, string][] = [
      [{ configPath: "/etc/shadow" }, "configPath"],
      [{ configPath: private_ }, "configPath"],
      [{ stateDir: "relative/state" }, "stateDir"],
      [{ configPath: "openclaw.json" }, "configPath"],
      [{ stateDir: "/etc" }, "stateDir"],
      [{ stateDir: dataDir }, "stateDir"],
      [{ configPath: path.join(dataDir, "clawops.db") }, "configPath"],
      [{ configPath: path.join(bots, "..", "clawops.lock") }, "configPath"],
      [{ stateDir: path.join(bots, "trap") }, "configPath"],
      [{ configPath: path.join(bots, "up", "private.txt") }, "configPath"],
      [{ stateDir: path.join(bots, "plain-file") }, "stateDir"],
      [{ configPath: path.join(bots, "hardlink.json") }, "configPath"],
    ];
    for (const [paths, field] of refused) {
      const error = expectEnvelope(await post({ name: "abuse", ...paths }), 400, "VALIDATION");
      expect(
        error.issues?.map((i) => i.path),
        JSON.stringify(paths),
      ).toEqual([field]);
    }

    const listed = await authed("GET", "/api/v1/bots");
    expect(JSON.parse(listed.body)).toEqual({ bots: [] });
    const events = JSON.parse((await authed("GET", "/api/v1/events?type=bot.")).body) as {
      events: unknown[];
    };
    expect(events.events).toEqual([]);
    expect((await authed("GET", "/api/v1/bots/abuse/doctor")).status).toBe(404);

    // Inside the root, the daemon's own folder: registered, with the real path.
    writeConfig("fine");
    const ok = await post({ name: "fine", stateDir: path.join(dir, ".clawops", "bots", "fine") });
    expect(ok.status, ok.body).toBe(201);
    expect((JSON.parse(ok.body) as { bot: { openclawBin: null } }).bot.openclawBin).toBeNull();
    // What is inside a registered bot's state dir (its credentials, sessions) is that bot's.
    const credentials = path.join(bots, "fine", "agents", "main", "agent");
    mkdirSync(credentials, { recursive: true });
    writeFileSync(path.join(credentials, "auth-profiles.json"), `{"key": "${marker}"}`);
    const error = expectEnvelope(
      await post({ name: "thief", configPath: path.join(credentials, "auth-profiles.json") }),
      400,
      "VALIDATION",
    );
    expect(error.message).toContain("another bot's state dir");
    // No byte of a refused file came back, nor went to the daemon's log.
    const shadowHead = (() => {
      try {
        return readFileSync("/etc/shadow", "utf8").split("\n")[0]!;
      } catch {
        return null;
      }
    })();
    for (const answer of answers) {
      expect(answer.body).not.toContain(marker);
      if (shadowHead) expect(answer.body).not.toContain(shadowHead);
    }
    expect(daemon.output()).not.toContain(marker);
  });

  it("never re-points a bot outside the roots with PATCH, and takes no file or token from a name", async () => {
    // An admin's token: the local credential is the host's owner, trusted with any path.
    const minted = await authed("POST", "/api/v1/tokens", {
      headers: { "content-type": "application/json", "x-clawops-client": "test" },
      body: JSON.stringify({ name: "abuse-admin", role: "admin" }),
    });
    expect(minted.status, minted.body).toBe(201);
    const admin = {
      authorization: `Bearer ${(JSON.parse(minted.body) as { secret: string }).secret}`,
    };
    const patch = (target: string, body: unknown) =>
      request(port, "PATCH", target, {
        headers: { ...admin, "content-type": "application/json", "x-clawops-client": "test" },
        body: JSON.stringify(body),
      });
    for (const configPath of [
      "/etc/shadow",
      private_,
      path.join(bots, "..", "clawops.lock"),
      path.join(bots, "up", "private.txt"),
      path.join(bots, "hardlink.json"),
      "openclaw.json",
    ]) {
      const error = expectEnvelope(
        await patch("/api/v1/bots/fine", { configPath }),
        400,
        "VALIDATION",
      );
      expect(
        error.issues?.map((i) => i.path),
        configPath,
      ).toEqual(["configPath"]);
    }
    // A name is a name: never a path, whatever its encoding.
    for (const name of ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "fine%00", "FINE", "fine;rm"]) {
      const answer = await patch(`/api/v1/bots/${name}`, { labels: { a: "b" } });
      expect([400, 404], `${name}: ${answer.body}`).toContain(answer.status);
      expect(answer.body).not.toContain(marker);
    }
    const bot = JSON.parse((await authed("GET", "/api/v1/bots/fine")).body) as {
      bot: { configPath: string; labels: Record<string, string> };
    };
    expect(bot.bot.configPath).toBe(path.join(bots, "fine", "openclaw.json"));
    expect(bot.bot.labels).toEqual({});
    // The setup route takes a token and a user name: neither reaches a file or a shell.
    const setup = (body: unknown) =>
      request(port, "POST", "/api/v1/auth/setup", {
        headers: { "content-type": "application/json", "x-clawops-client": "test" },
        body: JSON.stringify(body),
      });
    expectEnvelope(
      await setup({ token: "../../etc/passwd", name: "eve", password: "x".repeat(16) }),
      401,
      "UNAUTHORIZED",
    );
    expectEnvelope(
      await setup({ token: "t", name: "../root", password: "x".repeat(16) }),
      400,
      "VALIDATION",
    );
  });

  it("refuses a Host that is not the daemon's and a cross-origin state change (DNS rebinding)", async () => {
    for (const [method, target] of [
      ["GET", "/api/v1/status"],
      ["GET", "/metrics"],
      ["GET", "/nothing-here"],
    ] as const) {
      const error = expectEnvelope(
        await authed(method, target, { headers: { host: "evil.example" } }),
        421,
        "HOST_NOT_ALLOWED",
      );
      expect(error.message).toContain("evil.example");
    }
    expectEnvelope(
      await post({ name: "rebound" }, { host: `evil.example:${port}` }),
      421,
      "HOST_NOT_ALLOWED",
    );
    expectEnvelope(
      await authed("POST", "/api/v1/repairs/pause", {
        headers: { host: `evil.example:${port}`, "x-clawops-client": "test" },
      }),
      421,
      "HOST_NOT_ALLOWED",
    );
    expectEnvelope(
      await post({ name: "crossorigin" }, { origin: "http://evil.example" }),
      403,
      "FORBIDDEN",
    );
    expectEnvelope(
      await post({ name: "crossorigin" }, { origin: `http://localhost:${port + 1}` }),
      403,
      "FORBIDDEN",
    );
    const names = (
      JSON.parse((await authed("GET", "/api/v1/bots")).body) as { bots: { name: string }[] }
    ).bots.map((b) => b.name);
    expect(names).not.toContain("rebound");
    expect(names).not.toContain("crossorigin");
    const repairs = JSON.parse((await authed("GET", "/api/v1/repairs/status")).body) as {
      pauses: unknown[];
    };
    expect(repairs.pauses).toEqual([]); // the rebound pause never happened

    // The daemon's own names still work, and its own origin may change state.
    expect(
      (await authed("GET", "/healthz", { headers: { host: `localhost:${port}` } })).status,
    ).toBe(200);
    writeConfig("same-origin");
    const same = await post({ name: "same-origin" }, { origin: `http://127.0.0.1:${port}` });
    expect(same.status, same.body).toBe(201);
  });

  it("answers every malformed request with the documented envelope, never a 500 or a hang", async () => {
    expectEnvelope(await authed("GET", "/api/v1/bots/%E0%A4%A"), 400, "BAD_REQUEST");
    expectEnvelope(await authed("GET", `/api/v1/bots/${"a".repeat(300)}`), 414, "URI_TOO_LONG");
    expectEnvelope(await authed("GET", `/api/v1/${"a".repeat(20_000)}`), 414, "URI_TOO_LONG");
    expectEnvelope(
      await authed("GET", "/healthz", { headers: { "x-big": "b".repeat(20_000) } }),
      431,
      "HEADERS_TOO_LARGE",
    );
    expectEnvelope(
      await raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
      400,
      "BAD_REQUEST",
    );
    expectEnvelope(await raw(port, "NOT A REQUEST\r\n\r\n"), 400, "BAD_REQUEST");
    expectEnvelope(await raw(port, "GET /healthz HTTP/1.0\r\n\r\n"), 400, "BAD_REQUEST");
    expectEnvelope(
      await authed("GET", "/healthz", { headers: { expect: "teapot" } }),
      417,
      "EXPECTATION_FAILED",
    );
    const headers = { "x-clawops-client": "test" };
    expectEnvelope(
      await authed("POST", "/api/v1/bots", { headers, body: "{not json" }),
      400,
      "BAD_REQUEST",
    );
    expectEnvelope(
      await authed("POST", "/api/v1/bots", {
        headers: { ...headers, "content-type": "text/x-nothing" },
        body: "name=x",
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expectEnvelope(
      await authed("POST", "/api/v1/bots", { headers, body: `"${"x".repeat(1_100_000)}"` }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    expectEnvelope(await authed("GET", "/api/v1/events?limit=0"), 400, "VALIDATION");
    // Query parameters are validated before the bot is looked up: a bad one is a 400 naming it.
    for (const target of [
      "/api/v1/bots/abuse/doctor?fast=maybe",
      "/api/v1/bots/abuse/doctor?fast=",
    ]) {
      const doctor = expectEnvelope(await authed("GET", target), 400, "VALIDATION");
      expect(doctor.issues?.map((i) => i.path)).toEqual(["fast"]);
      expect(doctor.message).toContain("fast");
    }
    expectEnvelope(
      await authed("GET", "/api/v1/bots/abuse/doctor?fast=true&verbose=1"),
      400,
      "VALIDATION",
    );
    expectEnvelope(await authed("GET", "/api/v1/nothing"), 404, "NOT_FOUND");
    // Still serving after all of it.
    expect((await authed("GET", "/readyz")).status).toBe(200);
  });

  it("takes an event type prefix literally: ?type=%. matches nothing", async () => {
    const types = async (type: string) =>
      (
        JSON.parse(
          (await authed("GET", `/api/v1/events?type=${encodeURIComponent(type)}`)).body,
        ) as { events: { type: string }[] }
      ).events.map((e) => e.type);
    expect(await types("daemon.")).toContain("daemon.started");
    expect(await types("%.")).toEqual([]);
    expect(await types("_aemon.")).toEqual([]);
    expect(await types("DAEMON.")).toEqual([]);
  });

  it("answers 401 to a call without credentials or with forged ones, and audits the refused writes", async () => {
    const forged = `clawops_0123456789ab_${"A".repeat(43)}`;
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: "Basic eDp5" },
    ]) {
      const read = await request(port, "GET", "/api/v1/bots", { headers });
      expectEnvelope(read, 401, "UNAUTHORIZED");
      expect(read.headers["www-authenticate"]).toBe('Bearer realm="clawops"');
      expectEnvelope(
        await request(port, "POST", "/api/v1/bots/fine/start", {
          headers: { ...headers, "x-clawops-client": "test" },
        }),
        401,
        "UNAUTHORIZED",
      );
    }
    const audit = JSON.parse((await authed("GET", "/api/v1/audit?actor=anonymous")).body) as {
      entries: { route: string; status: number; source: string }[];
    };
    const refused = audit.entries.filter((e) => e.route === "/api/v1/bots/:name/start");
    expect(refused.map((e) => [e.status, e.source])).toEqual(Array(3).fill([401, "127.0.0.1"]));
  });
});
