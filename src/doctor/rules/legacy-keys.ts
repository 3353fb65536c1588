import type { ConfigEdit, Finding } from "../../core/finding.js";
import { type DoctorContext, type DoctorRule, asRecord, configFinding } from "../rule.js";

/**
 * Keys from older OpenClaw configs, each with what replaced it and a fix that
 * moves the value rather than dropping it. (OpenClaw's own `doctor --fix`
 * deletes a root `providers` key outright, API keys included.)
 */
export const legacyKeys: DoctorRule = {
  id: "legacy-keys",
  description: "no keys of older OpenClaw versions (root providers, agents.list, retired flags)",
  speed: "fast",
  scope: "config",
  check(context) {
    return [
      ...rootProviders(context),
      ...agentsList(context),
      ...retired(
        context,
        ["gateway", "controlUi", "allowInsecureAuth"],
        "warning",
        "was retired in 2026.9 and has no replacement: `openclaw config validate` rejects it, and the gateway deletes it at its next start, rewriting the file",
      ),
      ...retired(
        context,
        ["gateway", "controlUi", "dangerouslyDisableDeviceAuth"],
        "info",
        "is retired and has no effect any more",
      ),
      ...retiredDefaultMarkers(context),
    ];
  },
};

/** Root `providers.<id>` (old provisioning scripts): the gateway exits 78 on it. */
function rootProviders(context: DoctorContext): Finding[] {
  const root = asRecord(context.config.providers);
  if (context.config.providers === undefined) return [];
  const modelsProviders = asRecord(asRecord(context.config.models)?.providers) ?? {};
  const edits: ConfigEdit[] = [];
  for (const [id, entry] of Object.entries(root ?? {})) {
    const existing = asRecord(modelsProviders[id]) ?? {};
    for (const key of Object.keys(asRecord(entry) ?? {})) {
      if (existing[key] === undefined)
        edits.push({
          op: "copy",
          from: ["providers", id, key],
          path: ["models", "providers", id, key],
        });
    }
  }
  edits.push({ op: "remove", path: ["providers"] });
  const ids = Object.keys(root ?? {});
  return [
    configFinding(context, ["providers"], {
      id: "legacy-keys/root-providers",
      severity: "error",
      message: `root key "providers" is from an old provisioning script: OpenClaw refuses the config (exit 78, systemd restarts it in a loop). Providers live under models.providers.<id>, keys in the credential store`,
      evidence: { providers: ids },
      fix: {
        kind: "edit-config",
        summary: `move ${ids.length > 0 ? ids.map((id) => `providers.${id}`).join(", ") : "providers"} to models.providers (keeping every value; fields already there win), then remove the root key; afterwards move any key to the store with \`openclaw models auth paste-api-key\``,
        edits,
      },
    }),
  ];
}

/** `agents.list: [{id, ...}]` became the keyed `agents.entries.<id>` (OpenClaw migrates it on read). */
function agentsList(context: DoctorContext): Finding[] {
  const agents = asRecord(context.config.agents);
  if (!agents || agents.list === undefined) return [];
  const list = Array.isArray(agents.list) ? agents.list : [];
  const entries = asRecord(agents.entries) ?? {};
  const edits: ConfigEdit[] = [];
  const unmovable: string[] = [];
  for (const [index, item] of list.entries()) {
    const record = asRecord(item);
    const id = record?.id;
    if (
      typeof id !== "string" ||
      !/^[a-z0-9_][a-z0-9_-]{0,63}$/.test(id) ||
      entries[id] !== undefined
    ) {
      unmovable.push(typeof id === "string" ? id : `agents.list[${index}]`);
      continue;
    }
    // Copied key by key from the list: a fix never carries the values (they may be secrets).
    edits.push({ op: "set", path: ["agents", "entries", id], value: {} });
    for (const key of Object.keys(record!).filter((k) => k !== "id" && k !== "default"))
      edits.push({
        op: "copy",
        from: ["agents", "list", index, key],
        path: ["agents", "entries", id, key],
      });
  }
  edits.push({ op: "remove", path: ["agents", "list"] });
  return [
    configFinding(context, ["agents", "list"], {
      id: "legacy-keys/agents-list",
      severity: "warning",
      message:
        "agents.list is the pre-2026.9 agent roster: OpenClaw now keys agents by id under agents.entries and converts this list on every read",
      evidence: { agents: list.length },
      fix:
        unmovable.length === 0
          ? {
              kind: "edit-config",
              summary:
                "move each agent to agents.entries.<id> (its retired `default` marker dropped)",
              edits,
            }
          : {
              kind: "manual",
              summary: `move the agents to agents.entries.<id> by hand: ${unmovable.join(", ")} has no valid id or is already in agents.entries`,
            },
    }),
  ];
}

function retired(
  context: DoctorContext,
  path: string[],
  severity: Finding["severity"],
  why: string,
): Finding[] {
  if (context.document.get(path) === undefined) return [];
  return [
    configFinding(context, path, {
      id: "legacy-keys/retired",
      severity,
      message: `${path.join(".")} ${why}`,
      fix: {
        kind: "edit-config",
        summary: `remove ${path.join(".")}`,
        edits: [{ op: "remove", path }],
      },
    }),
  ];
}

/** `agents.entries.<id>.default: true` is a retired marker (OpenClaw ignores it and warns). */
function retiredDefaultMarkers(context: DoctorContext): Finding[] {
  const entries = asRecord(asRecord(context.config.agents)?.entries) ?? {};
  return Object.entries(entries)
    .filter(([, entry]) => asRecord(entry)?.default !== undefined)
    .flatMap(([id]) =>
      retired(
        context,
        ["agents", "entries", id, "default"],
        "info",
        "is a retired marker: OpenClaw ignores it",
      ),
    );
}
