import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { type Principal } from "../core/access.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { AccessService } from "./service.js";
import { FirstOwnerSetup, SETUP_TTL_MS } from "./setup.js";

const PASSWORD = "correct horse battery";
const local: Principal = { kind: "local", id: "cli", name: "cli", org: "default", role: "owner" };

describe("the one-time setup link", () => {
  let scratch: ReturnType<typeof tempDir>;
  let store: Store;
  let now = Date.parse("2026-11-30T12:00:00Z");
  let access: AccessService;
  let setup: FirstOwnerSetup;

  beforeEach(async () => {
    scratch = tempDir("clawops-setup-");
    store = openSqliteStore(`${scratch.dir}/clawops.db`);
    await store.migrate();
    access = new AccessService({ store, now: () => now });
    setup = new FirstOwnerSetup({ store, access, now: () => now });
  });
  afterEach(async () => {
    await store.close();
    scratch.remove();
  });

  it("creates the first owner once, logged in; the token is good for nothing else", async () => {
    const link = (await setup.mint())!;
    expect(link.expiresAt).toBe(new Date(now + SETUP_TTL_MS).toISOString());
    await expect(access.authenticate({ bearer: link.token })).rejects.toThrow(
      "only creates the first owner",
    );
    const done = await setup.complete(link.token, "founder", PASSWORD);
    expect(done.user).toMatchObject({ name: "founder", role: "owner", org: "default" });
    const { principal } = (await access.authenticate({ cookie: done.cookie }))!;
    expect(principal).toMatchObject({ kind: "user", name: "founder", role: "owner" });
    await expect(setup.complete(link.token, "second", PASSWORD)).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await setup.mint()).toBeNull();
  });

  it("refuses bad input before claiming the link, which keeps working", async () => {
    const { token } = (await setup.mint())!;
    await expect(setup.complete(token, "founder", "short")).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(setup.complete(token, "Not A Name", PASSWORD)).rejects.toMatchObject({
      code: "VALIDATION",
    });
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(setup.complete(forged, "founder", PASSWORD)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(setup.complete("not-a-token", "founder", PASSWORD)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    // An API token is not a setup token.
    const api = await access.createToken({ name: "ci", role: "owner" }, local);
    await expect(setup.complete(api.secret, "founder", PASSWORD)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(setup.complete(token, "founder", PASSWORD)).resolves.toBeDefined();
  });

  it("expires after 24 hours, and a new link revokes the previous one", async () => {
    const first = (await setup.mint())!;
    const second = (await setup.mint())!;
    await expect(setup.complete(first.token, "founder", PASSWORD)).rejects.toThrow(
      "replaced by a newer one",
    );
    now += SETUP_TTL_MS;
    await expect(setup.complete(second.token, "founder", PASSWORD)).rejects.toThrow("expired");
    const third = (await setup.mint())!;
    await expect(setup.complete(third.token, "founder", PASSWORD)).resolves.toBeDefined();
  });

  it("is not offered once any user exists", async () => {
    await access.addUser({ name: "olive", password: PASSWORD, role: "viewer" }, local);
    expect(await setup.mint()).toBeNull();
  });

  it("lets two uses of one link race: exactly one owner", async () => {
    const { token } = (await setup.mint())!;
    const results = await Promise.allSettled([
      setup.complete(token, "alpha", PASSWORD),
      setup.complete(token, "bravo", PASSWORD),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await access.listUsers(local)).map((u) => u.name)).toHaveLength(1);
  });
});
