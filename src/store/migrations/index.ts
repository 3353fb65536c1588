import type { Migration, MigrationProvider } from "kysely";
import type { Dialect } from "../schema.js";
import { initial } from "./001-initial.js";
import { supervisor } from "./002-supervisor.js";
import { repair } from "./003-repair.js";
import { eventVersion } from "./004-event-version.js";
import { sessions } from "./005-sessions.js";
import { budgets } from "./006-budgets.js";
import { vault } from "./007-vault.js";
import { access } from "./008-access.js";
import { botOrgs } from "./009-bot-orgs.js";
import { tasks } from "./010-tasks.js";
import { hosts } from "./011-hosts.js";
import { rssSamples } from "./012-rss-samples.js";
import { taskGates } from "./013-task-gates.js";

/**
 * Every migration, in order. Names are permanent: the schema-version table
 * (`schema_migrations`) records them. Append new ones; never edit applied ones.
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    "001-initial": initial(dialect),
    "002-supervisor": supervisor(dialect),
    "003-repair": repair(),
    "004-event-version": eventVersion(),
    "005-sessions": sessions(dialect),
    "006-budgets": budgets(dialect),
    "007-vault": vault(dialect),
    "008-access": access(dialect),
    "009-bot-orgs": botOrgs(dialect),
    "010-tasks": tasks(dialect),
    "011-hosts": hosts(dialect),
    "012-rss-samples": rssSamples(),
    "013-task-gates": taskGates(),
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}
