import { type Command, Option } from "commander";
import { AccessService } from "../../access/service.js";
import { FirstOwnerSetup, setupLink, setupLinkPath, writeSetupLink } from "../../access/setup.js";
import type { ClawopsConfig } from "../../config/schema.js";
import {
  type ApiToken,
  type AuditEntry,
  DEFAULT_ORG,
  type Principal,
  ROLES,
  type Role,
  type User,
} from "../../core/access.js";
import { OpsError } from "../../core/errors.js";
import type { Store } from "../../store/store.js";
import { act } from "../act.js";
import { parseCount, parseDuration, parseSince } from "../arguments.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { daemonEndpoint } from "../daemon-client.js";
import { readSecret } from "../secret-input.js";
import { EXIT, emit, table } from "../output.js";

/** The CLI on this host acts as the local principal: the owner of every organisation. */
const LOCAL: Principal = { kind: "local", id: "cli", name: "cli", org: DEFAULT_ORG, role: "owner" };

interface OrgOptions extends CommandOptions {
  org?: string;
}
interface RoleOptions extends OrgOptions {
  role: Role;
}

/**
 * `clawops user ...`, `clawops token ...`, `clawops audit`: team access
 * (docs/access.md). On the store directly, daemon or not, as the owner: the
 * CLI on the daemon's host is trusted as the file system trusts it. Every
 * change is written to the audit trail as `cli`.
 */
export function registerAccessCommands(program: Command) {
  const roleOption = () =>
    new Option("--role <role>", "viewer, operator, admin or owner")
      .choices(ROLES)
      .makeOptionMandatory();
  const orgOption = () => new Option("--org <name>", `the organisation (default "${DEFAULT_ORG}")`);

  const user = program.command("user").description("dashboard users: password logins with a role");
  user
    .command("add")
    .argument("<name>", "login name (lowercase letters, digits, . _ -)")
    .description(
      "add a user; the password (12+ characters) is asked on a terminal, else read from stdin: printf '%s' \"$PASSWORD\" | clawops user add NAME --role ROLE",
    )
    .addOption(roleOption())
    .addOption(orgOption())
    .option("--json", "print JSON")
    .action(
      act(async (options: RoleOptions, name: string) => {
        const password = await readSecret({
          what: `the password of "${name}"`,
          maxBytes: 1024,
          usage: `printf '%s' "$PASSWORD" | clawops user add ${name} --role ${options.role}`,
          prompt: `password for ${name}: `,
        });
        const added = await withAccess(options, "user add", name, (access) =>
          access.addUser({ name, password, role: options.role, org: options.org }, LOCAL),
        );
        emit(options, { user: added }, ({ user: u }) => `added ${u.name} (${u.role} of ${u.org})`);
        return EXIT.ok;
      }),
    );
  user
    .command("list")
    .description("every user (never a password)")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const users = await withAccess(options, null, null, (access) => access.listUsers(LOCAL));
        emit(options, { users }, ({ users: list }) => renderUsers(list));
        return EXIT.ok;
      }),
    );
  user
    .command("remove")
    .argument("<name>", "login name")
    .description("remove a user: their API tokens are revoked and their logins end at once")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, name: string) => {
        const removed = await withAccess(options, "user remove", name, (access) =>
          access.removeUser(name, LOCAL),
        );
        emit(options, { removed }, () => `removed ${name}; their tokens are revoked`);
        return EXIT.ok;
      }),
    );

  user
    .command("setup-link")
    .description(
      "a new one-time link to create the first owner in a browser (the previous link stops working); only while there is no user",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const made = await withAccess(
          options,
          "user setup-link",
          null,
          async (access, store, config) => {
            const minted = await new FirstOwnerSetup({ store, access }).mint();
            if (!minted)
              throw new OpsError(
                "CONFLICT",
                "clawops has users already: log in, or add one with clawops user add NAME --role ROLE",
              );
            const link = setupLink(daemonEndpoint(config).base, minted.token);
            writeSetupLink(config.dataDir, link);
            return { link, expiresAt: minted.expiresAt, file: setupLinkPath(config.dataDir) };
          },
        );
        emit(
          options,
          made,
          ({ link, expiresAt }) =>
            `open this link once, before ${expiresAt}, to create the first owner:\n  ${link}`,
        );
        return EXIT.ok;
      }),
    );

  const token = program.command("token").description("API tokens for services and scripts");
  token
    .command("create")
    .argument("<name>", "what it is for (lowercase letters, digits, . _ -)")
    .description("create a token: printed once, stored hashed; send it as Authorization: Bearer")
    .addOption(roleOption())
    .addOption(orgOption())
    .option("--expires <duration>", 'lifetime, e.g. "90d" (default: never)', parseDuration)
    .option("--json", "print JSON")
    .action(
      act(async (options: RoleOptions & { expires?: number }, name: string) => {
        const created = await withAccess(options, "token create", name, (access) =>
          access.createToken(
            { name, role: options.role, org: options.org, expiresInMs: options.expires },
            LOCAL,
          ),
        );
        emit(options, created, (c) =>
          [
            `created token ${c.token.name} (${c.token.role} of ${c.token.org}, id ${c.token.id}${c.token.expiresAt ? `, expires ${c.token.expiresAt}` : ""})`,
            "",
            `  ${c.secret}`,
            "",
            "this is the only time it is shown: store it now",
          ].join("\n"),
        );
        return EXIT.ok;
      }),
    );
  token
    .command("list")
    .description("live tokens (never their secrets)")
    .option("--revoked", "include revoked tokens")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions & { revoked?: boolean }) => {
        const tokens = await withAccess(options, null, null, (access) =>
          access.listTokens(LOCAL, options.revoked === true),
        );
        emit(options, { tokens }, ({ tokens: list }) => renderTokens(list));
        return EXIT.ok;
      }),
    );
  token
    .command("revoke")
    .argument("<token>", "the token's id or name")
    .description("revoke a token: the next request with it is refused")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, idOrName: string) => {
        const revoked = await withAccess(options, "token revoke", idOrName, (access) =>
          access.revokeToken(idOrName, LOCAL),
        );
        emit(options, { revoked }, ({ revoked: t }) => `revoked ${t.name} (${t.id})`);
        return EXIT.ok;
      }),
    );

  program
    .command("audit")
    .description("the audit trail: every state-changing API call and access change, newest first")
    .option("--actor <actor>", "only this actor (cli, user:alice, token:ci, anonymous)")
    .option("--since <when>", 'from a time ("24h", "7d", "2026-11-01")', parseSince)
    .option("--limit <n>", "at most this many (default 100)", parseCount(1000))
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions & { actor?: string; since?: string; limit?: number }) => {
        const entries = await withRegistry(options, ({ store }) =>
          store.access.listAudit({
            actor: options.actor,
            since: options.since,
            limit: options.limit,
          }),
        );
        emit(options, { entries }, ({ entries: list }) => renderAudit(list));
        return EXIT.ok;
      }),
    );

  const org = program
    .command("org")
    .description("organisations: each sees only its own bots, sessions, cost and events");
  org
    .command("add")
    .argument("<name>", "organisation name (lowercase letters, digits, . _ -)")
    .description(
      "add an organisation (then: clawops user add NAME --org ORG, bot add NAME --org ORG)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, name: string) => {
        // The audit entry is the new organisation's.
        const scoped: OrgOptions = { ...options, org: name };
        const added = await withAccess(scoped, "org add", name, (_access, store) =>
          store.access.addOrg(name, new Date().toISOString()),
        );
        emit(options, { org: added }, ({ org: o }) => `added organisation ${o.name}`);
        return EXIT.ok;
      }),
    );
  org
    .command("list")
    .description("every organisation")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const orgs = await withRegistry(options, ({ store }) => store.access.listOrgs());
        emit(options, { orgs }, ({ orgs: list }) =>
          table(
            ["NAME", "CREATED"],
            list.map((o) => [o.name, o.createdAt]),
          ),
        );
        return EXIT.ok;
      }),
    );
}

/**
 * Runs `work` with the access service on the store; a change (`action`
 * named) is written to the audit trail, refused or not.
 */
async function withAccess<T>(
  options: CommandOptions,
  action: string | null,
  target: string | null,
  work: (access: AccessService, store: Store, config: ClawopsConfig) => Promise<T>,
): Promise<T> {
  return withRegistry(options, async ({ store, config }) => {
    const access = new AccessService({ store });
    let status = 200;
    try {
      return await work(access, store, config);
    } catch (error) {
      status = error instanceof OpsError ? statusOf(error) : 500;
      throw error;
    } finally {
      if (action !== null) {
        await store.access.appendAudit({
          at: new Date().toISOString(),
          actor: "cli",
          org: (options as OrgOptions).org ?? DEFAULT_ORG,
          method: "CLI",
          route: action,
          target,
          status,
          requestId: "cli",
          source: "local",
        });
      }
    }
  });
}

/** The HTTP status the API would have answered, so that the trail reads alike from both. */
function statusOf(error: OpsError): number {
  const statuses: Partial<Record<OpsError["code"], number>> = {
    VALIDATION: 400,
    USAGE: 400,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
  };
  return statuses[error.code] ?? 500;
}

function renderUsers(users: User[]): string {
  if (users.length === 0)
    return "no users (add the first with: clawops user add NAME --role owner)";
  return table(
    ["NAME", "ROLE", "ORG", "CREATED"],
    users.map((u) => [u.name, u.role, u.org, u.createdAt]),
  );
}

function renderTokens(tokens: ApiToken[]): string {
  if (tokens.length === 0) return "no API tokens";
  return table(
    ["ID", "NAME", "ROLE", "ORG", "KIND", "EXPIRES", "LAST USED", "STATE"],
    tokens.map((t) => [
      t.id,
      t.name,
      t.role,
      t.org,
      t.kind,
      t.expiresAt ?? "never",
      t.lastUsedAt ?? "-",
      t.revokedAt ? `revoked ${t.revokedAt}` : "live",
    ]),
  );
}

function renderAudit(entries: AuditEntry[]): string {
  if (entries.length === 0) return "no audit entries";
  return table(
    ["AT", "ACTOR", "ORG", "CALL", "TARGET", "STATUS", "FROM", "REQUEST"],
    entries.map((e) => [
      e.at,
      e.actor,
      e.org ?? "-",
      `${e.method} ${e.route}`,
      e.target ?? "-",
      String(e.status),
      e.source,
      e.requestId,
    ]),
  );
}
