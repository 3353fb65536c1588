import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ORG, type Principal } from "../core/access.js";
import { OpsError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { writeFileAtomic } from "../system/files.js";
import { type AccessService, checkNewUser, liveRecord } from "./service.js";
import { mintToken, parseToken, secretMatches } from "./tokens.js";

/** How long a setup link works. */
export const SETUP_TTL_MS = 24 * 60 * 60 * 1000;
/** The setup token's name: one live at a time (the store's unique live name). */
const SETUP_NAME = "setup";

export interface FirstOwnerDeps {
  store: Store;
  access: AccessService;
  now?: () => number;
}

/**
 * The one-time setup link of a clawops without users: whoever opens it
 * chooses the first owner's name and password. The link carries a token of
 * the kind `setup` (stored hashed like every token, good for 24 hours, used
 * once) that authenticates nothing else. A new link revokes the previous one;
 * a link is refused once any user exists.
 */
export class FirstOwnerSetup {
  private readonly now: () => number;

  constructor(private readonly deps: FirstOwnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * A new setup token when there are no users yet (the previous link stops
   * working), else null. The secret is in this answer only.
   */
  async mint(): Promise<{ token: string; expiresAt: string } | null> {
    const store = this.deps.store.access;
    if ((await store.countUsers()) > 0) return null;
    const at = new Date(this.now()).toISOString();
    for (const live of await store.listTokens({ org: DEFAULT_ORG }))
      if (live.kind === "setup") await store.revokeToken(live.id, at);
    const minted = mintToken();
    const expiresAt = new Date(this.now() + SETUP_TTL_MS).toISOString();
    await store.addToken(
      liveRecord(minted, {
        name: SETUP_NAME,
        org: DEFAULT_ORG,
        role: "owner",
        kind: "setup",
        userId: null,
        createdBy: "daemon",
        createdAt: at,
        expiresAt,
      }),
    );
    return { token: minted.token, expiresAt };
  }

  /**
   * Creates the first owner with the setup link's token and logs them in.
   * The token is claimed (revoked) before the user is written, so that two
   * uses of one link cannot both succeed; a name or password that would be
   * refused is refused before the claim, and the link keeps working.
   */
  async complete(token: string, name: string, password: string) {
    checkNewUser({ name, password });
    const store = this.deps.store.access;
    const parsed = parseToken(token);
    const stored = parsed ? await store.findToken(parsed.id) : null;
    if (
      !parsed ||
      !stored ||
      stored.kind !== "setup" ||
      !secretMatches(parsed.secret, stored.secretHash)
    )
      throw new OpsError(
        "UNAUTHORIZED",
        "the setup link is not valid: run `clawops user setup-link` for a new one",
      );
    if ((await store.countUsers()) > 0)
      throw new OpsError("CONFLICT", "the first owner exists already: log in instead");
    if (stored.expiresAt !== null && Date.parse(stored.expiresAt) <= this.now())
      throw new OpsError(
        "UNAUTHORIZED",
        "the setup link has expired: run `clawops user setup-link` for a new one",
      );
    if (!(await store.revokeToken(stored.id, new Date(this.now()).toISOString())))
      throw new OpsError(
        "UNAUTHORIZED",
        "the setup link was used, or replaced by a newer one: run `clawops user setup-link` for a new one",
      );
    const setup: Principal = {
      kind: "token",
      id: stored.id,
      name: SETUP_NAME,
      org: DEFAULT_ORG,
      role: "owner",
    };
    await this.deps.access.addUser({ name, password, role: "owner" }, setup);
    return this.deps.access.login(name, password);
  }
}

/** Where the daemon leaves the link for its operator (mode 0600, beside the local credential). */
export function setupLinkPath(dataDir: string): string {
  return path.join(dataDir, "setup-link");
}

/** The link to open: the token in the fragment, which browsers never send to a server or a proxy's log. */
export function setupLink(baseUrl: string, token: string): string {
  return `${baseUrl}/setup#${token}`;
}

/** The link this daemon left, or null (none, or an owner exists). */
export function readSetupLink(dataDir: string): string | null {
  try {
    return readFileSync(setupLinkPath(dataDir), "utf8").trim() || null;
  } catch {
    return null;
  }
}

export function writeSetupLink(dataDir: string, link: string): void {
  writeFileAtomic(setupLinkPath(dataDir), `${link}\n`, 0o600);
}

/** Removes this daemon's link file once an owner exists (the file is clawops's own). */
export function removeSetupLink(dataDir: string): void {
  rmSync(setupLinkPath(dataDir), { force: true });
}
