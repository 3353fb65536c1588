import type { Finding } from "../../core/finding.js";
import { type DoctorRule, asRecord, configFinding } from "../rule.js";

/** Bind modes that listen beyond loopback (`auto` does in containers). */
const EXPOSED = new Set(["auto", "lan", "tailnet", "custom"]);
const MODES = new Set([...EXPOSED, "loopback"]);
/** Addresses written where a mode belongs (older configs and guides): what they mean. */
const LOOPBACK_ADDRESSES = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * A gateway listening beyond loopback without authentication lets anyone on
 * the network drive its agents; OpenClaw refuses it at boot (exit 78).
 */
export const bindSafety: DoctorRule = {
  id: "bind-safety",
  description: "a non-loopback bind needs gateway authentication",
  speed: "fast",
  scope: "config",
  check(context) {
    const gateway = asRecord(context.config.gateway) ?? {};
    const bind = typeof gateway.bind === "string" ? gateway.bind : undefined;
    const auth = asRecord(gateway.auth) ?? {};
    const host = typeof gateway.customBindHost === "string" ? gateway.customBindHost : undefined;
    if (bind !== undefined && !MODES.has(bind)) return [notAMode(context, bind, authMode(auth))];
    const exposed =
      bind === undefined || (EXPOSED.has(bind) && !(bind === "custom" && host?.startsWith("127.")));
    if (!exposed) return [];
    const authenticated = authMode(auth) !== "none";
    const where =
      bind === undefined
        ? 'no gateway.bind (default "auto": every interface in a container)'
        : `gateway.bind "${bind}"`;
    const toLoopback = {
      kind: "edit-config" as const,
      summary: 'set gateway.bind to "loopback" (clawops runs its gateways on loopback)',
      edits: [{ op: "set" as const, path: ["gateway", "bind"], value: "loopback" }],
    };
    const findings: Finding[] = [];
    if (!authenticated) {
      findings.push(
        configFinding(context, ["gateway", "bind"], {
          id: "bind-safety/unauthenticated",
          severity: bind === undefined ? "warning" : "error",
          message: `${where} exposes the gateway beyond loopback with gateway.auth.mode "none": anyone who reaches the port controls its agents (OpenClaw refuses to start so, exit 78)`,
          evidence: { bind: bind ?? null, authMode: "none" },
          fix: toLoopback,
        }),
      );
    } else if (bind !== undefined) {
      findings.push(
        configFinding(context, ["gateway", "bind"], {
          id: "bind-safety/exposed",
          severity: "info",
          message: `${where} listens beyond loopback (authenticated by ${authMode(auth)}); put a TLS reverse proxy in front, or bind loopback`,
          evidence: { bind, authMode: authMode(auth) },
        }),
      );
    }
    return findings;
  },
};

/** `bind: "0.0.0.0"` and the like: not a mode (OpenClaw refuses it); an address meaning every interface or loopback. */
function notAMode(
  context: Parameters<DoctorRule["check"]>[0],
  bind: string,
  mode: string,
): Finding {
  const loopback = LOOPBACK_ADDRESSES.has(bind);
  return configFinding(context, ["gateway", "bind"], {
    id: "bind-safety/not-a-mode",
    severity: "error",
    message: `gateway.bind "${bind}" is an address, not a bind mode (auto, lan, loopback, custom, tailnet): OpenClaw refuses the config. ${
      loopback
        ? "It means loopback"
        : `It asks for ${bind === "0.0.0.0" || bind === "::" ? "every interface" : "a specific address"}${mode === "none" ? ", without authentication" : ""}`
    }`,
    evidence: { bind, authMode: mode },
    fix: {
      kind: "edit-config",
      summary:
        'set gateway.bind to "loopback" (clawops runs its gateways on loopback; expose them through a reverse proxy)',
      edits: [{ op: "set", path: ["gateway", "bind"], value: "loopback" }],
    },
  });
}

/** The effective auth mode: the explicit one, else token or password when one is set. */
export function authMode(auth: Record<string, unknown>): string {
  if (typeof auth.mode === "string") return auth.mode;
  if (auth.token !== undefined) return "token";
  if (auth.password !== undefined) return "password";
  return "none";
}
