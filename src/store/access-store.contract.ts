import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { StoredUser } from "../core/access.js";
import type { NewToken } from "./access-store.js";
import { expectValidation } from "./session-store.contract.js";
import type { Store } from "./store.js";

const AT = "2026-11-30T10:00:00.000Z";

/**
 * Team access records, part of the store contract: `store()` is the suite's
 * migrated store (shared: each test uses names of its own).
 */
export function accessStoreContract(ctx: { store(): Store }) {
  const unique = (base: string) => `${base}-${randomUUID().slice(0, 8)}`;
  const user = (extra: Partial<StoredUser> = {}): StoredUser => ({
    id: randomUUID(),
    name: unique("alice"),
    org: "default",
    role: "operator",
    passwordHash: "scrypt$15$8$1$salt$hash",
    createdAt: AT,
    ...extra,
  });
  const token = (extra: Partial<NewToken> = {}): NewToken => ({
    id: randomUUID().slice(0, 12),
    name: unique("ci"),
    org: "default",
    role: "viewer",
    kind: "api",
    createdBy: "cli",
    secretHash: "ab".repeat(32),
    createdAt: AT,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    userId: null,
    ...extra,
  });

  it("keeps organisations and users; a second name or an unknown organisation is refused", async () => {
    const { access } = ctx.store();
    const org = unique("acme");
    expect(await access.addOrg(org, AT)).toEqual({ name: org, createdAt: AT });
    await expect(access.addOrg(org, AT)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await access.listOrgs()).map((o) => o.name)).toEqual(
      expect.arrayContaining(["default", org]),
    );
    const alice = user({ org });
    const { passwordHash: _hash, ...shown } = alice;
    expect(await access.addUser(alice)).toEqual(shown);
    expect(await access.findUser(alice.name)).toEqual(alice);
    expect(await access.findUserById(alice.id)).toEqual(alice);
    expect(await access.listUsers(org)).toEqual([shown]);
    await expect(access.addUser(user({ name: alice.name }))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(access.addUser(user({ org: unique("nowhere") }))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expectValidation(access.addUser(user({ name: "Bad Name" })), /^name must be/);
    await expectValidation(access.addUser(user({ role: "root" as never })), /^role must be/);
    expect(await access.countUsers()).toBeGreaterThanOrEqual(1);
  });

  it("removing a user revokes their tokens and ends their logins", async () => {
    const { access } = ctx.store();
    const bob = user();
    await access.addUser(bob);
    const theirs = token({ userId: bob.id, createdBy: `user:${bob.name}` });
    await access.addToken(theirs);
    await access.addLogin({
      idHash: randomUUID(),
      userId: bob.id,
      csrfToken: "c",
      createdAt: AT,
      expiresAt: "2026-12-01T10:00:00.000Z",
    });
    expect(await access.removeUser(bob.name, "2026-11-30T11:00:00.000Z")).toBe(true);
    expect(await access.removeUser(bob.name, AT)).toBe(false);
    expect((await access.findToken(theirs.id))?.revokedAt).toBe("2026-11-30T11:00:00.000Z");
    expect(await access.findUser(bob.name)).toBeNull();
  });

  it("keeps tokens hashed, one live token per name, revocation for good", async () => {
    const { access } = ctx.store();
    const first = token({ expiresAt: "2027-01-01T00:00:00+01:00" });
    const stored = await access.addToken(first);
    expect(stored).not.toHaveProperty("secretHash");
    expect(stored.expiresAt).toBe("2026-12-31T23:00:00.000Z");
    expect((await access.findToken(first.id))?.secretHash).toBe(first.secretHash);
    await expect(access.addToken(token({ name: first.name }))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await access.touchToken(first.id, "2026-11-30T12:00:00.000Z");
    expect((await access.findToken(first.id))?.lastUsedAt).toBe("2026-11-30T12:00:00.000Z");
    expect(await access.revokeToken(first.id, AT)).toBe(true);
    expect(await access.revokeToken(first.id, AT)).toBe(false);
    expect((await access.listTokens()).map((t) => t.id)).not.toContain(first.id);
    expect((await access.listTokens({ revoked: true })).map((t) => t.id)).toContain(first.id);
    // The name is free again once its token is revoked.
    await access.addToken(token({ name: first.name }));
    const local = token({ kind: "local", role: "owner" });
    const otherHost = token({ kind: "local", role: "owner" });
    await access.addToken(local);
    await access.addToken(otherHost);
    expect(await access.revokeLocalTokens(local.name, AT)).toBe(1);
    expect((await access.findToken(local.id))?.revokedAt).toBe(AT);
    expect((await access.findToken(otherHost.id))?.revokedAt).toBeNull();
  });

  it("finds a login until it expires", async () => {
    const { access } = ctx.store();
    const carol = user();
    await access.addUser(carol);
    const login = {
      idHash: randomUUID(),
      userId: carol.id,
      csrfToken: "csrf",
      createdAt: AT,
      expiresAt: "2026-11-30T22:00:00.000Z",
    };
    await access.addLogin(login);
    expect(await access.findLogin(login.idHash)).toEqual(login);
    await access.removeExpiredLogins("2026-11-30T21:59:59.000Z");
    expect(await access.findLogin(login.idHash)).toEqual(login);
    expect(await access.removeExpiredLogins("2026-11-30T22:00:00.000Z")).toBeGreaterThanOrEqual(1);
    expect(await access.findLogin(login.idHash)).toBeNull();
  });

  it("keeps the audit trail newest first, filtered and paged, and prunes old entries", async () => {
    const { access } = ctx.store();
    const actor = unique("user:dave");
    const entry = (at: string, status: number) => ({
      at,
      actor,
      org: "default",
      method: "POST",
      route: "/api/v1/bots/:name/start",
      target: "alpha",
      status,
      requestId: randomUUID(),
      source: "127.0.0.1",
    });
    await access.appendAudit(entry("2026-10-01T00:00:00.000Z", 200));
    await access.appendAudit(entry("2026-11-30T10:00:00.000Z", 403));
    await access.appendAudit(entry("2026-11-30T11:00:00.000Z", 200));
    const all = await access.listAudit({ actor });
    expect(all.map((e) => e.at)).toEqual([
      "2026-11-30T11:00:00.000Z",
      "2026-11-30T10:00:00.000Z",
      "2026-10-01T00:00:00.000Z",
    ]);
    expect(all[1]).toMatchObject({ status: 403, target: "alpha", org: "default" });
    const page = await access.listAudit({ actor, limit: 1, before: all[0]!.id });
    expect(page.map((e) => e.id)).toEqual([all[1]!.id]);
    expect(await access.listAudit({ actor, since: "2026-11-30T10:30:00Z" })).toHaveLength(1);
    expect(await access.pruneAudit("2026-11-01T00:00:00.000Z")).toBeGreaterThanOrEqual(1);
    expect(await access.listAudit({ actor })).toHaveLength(2);
  });
}
