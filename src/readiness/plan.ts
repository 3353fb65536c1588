import type { ClawopsConfig } from "../config/schema.js";
import { OpsError } from "../core/errors.js";
import type { ComponentBase, ReadinessCheck } from "./check.js";
import { READINESS_CHECKS, readinessCheck } from "./index.js";

/** One component to check: its unique name, its check and its parsed config. */
export interface PlannedComponent {
  name: string;
  check: ReadinessCheck;
  config: ComponentBase & Record<string, unknown>;
  /** Where it comes from: `readiness.components[2]`, or `built-in`. */
  source: string;
}

/**
 * The components of a report: those declared in `readiness.components` and,
 * with `readiness.builtins`, the store, every registered bot's gateway not
 * declared already, and the backups when `backups.enabled`. A gateway
 * component naming neither `bot` nor `url` stands for every bot. `only`
 * keeps the components whose check id or name it lists; an entry matching
 * nothing known is a USAGE error. Pure.
 */
export function resolvePlan(
  config: ClawopsConfig,
  bots: readonly string[],
  only?: readonly string[],
): PlannedComponent[] {
  const planned: Omit<PlannedComponent, "name">[] = [];
  const declared = config.readiness.components as (ComponentBase & Record<string, unknown>)[];
  declared.forEach((component, index) => {
    const check = readinessCheck(component.check)!;
    const source = `readiness.components[${index}]`;
    if (component.check === "gateway" && !component.bot && !component.url) {
      for (const bot of bots) planned.push({ check, config: { ...component, bot }, source });
    } else planned.push({ check, config: component, source });
  });
  if (config.readiness.builtins) {
    const has = (id: string) => planned.some((p) => p.check.id === id);
    const builtin = (id: string, extra: Record<string, unknown> = {}) => {
      const check = readinessCheck(id)!;
      planned.push({
        check,
        config: check.schema.parse({ check: id, ...extra }) as PlannedComponent["config"],
        source: "built-in",
      });
    };
    if (!has("store")) builtin("store");
    const covered = new Set(
      planned.filter((p) => p.check.id === "gateway").map((p) => p.config.bot),
    );
    for (const bot of bots) if (!covered.has(bot)) builtin("gateway", { bot });
    if (config.backups.enabled && !has("backups")) builtin("backups");
  }
  const named = nameComponents(planned);
  if (!only || only.length === 0) return named;
  const known = new Set([...READINESS_CHECKS.map((c) => c.id), ...named.map((p) => p.name)]);
  const unknown = only.filter((o) => !known.has(o));
  if (unknown.length > 0) {
    throw new OpsError(
      "USAGE",
      `--only ${unknown.join(",")}: no such check or component (checks: ${READINESS_CHECKS.map((c) => c.id).join(", ")}; components: ${named.map((p) => p.name).join(", ") || "none"})`,
    );
  }
  return named.filter((p) => only.includes(p.check.id) || only.includes(p.name));
}

function nameComponents(planned: Omit<PlannedComponent, "name">[]): PlannedComponent[] {
  const used = new Set<string>();
  return planned.map((p) => {
    const base =
      p.config.name ??
      (p.check.id === "gateway" && typeof p.config.bot === "string"
        ? `gateway:${p.config.bot}`
        : p.check.id);
    let name = base;
    for (let n = 2; used.has(name); n += 1) name = `${base}-${n}`;
    used.add(name);
    return { ...p, name };
  });
}
