import { createHmac, randomBytes } from "node:crypto";
import { SECRET_KEY } from "../doctor/secret-value.js";
import { envReference } from "../gateway/openclaw-config.js";
import { formatJsonPath } from "../doctor/config-document.js";

/** One path where two configs differ; secrets are masked on both sides. */
export interface ConfigDifference {
  path: string;
  kind: "changed" | "only-left" | "only-right";
  left?: string;
  right?: string;
}

/**
 * Drift between two gateway configs, leaf by leaf (arrays compared whole).
 * A secret shows as `<secret …3f2a>`: a short HMAC under a key made for
 * this one diff, so that equal secrets look equal and different ones
 * different, and nothing shown can be checked against a guess later.
 */
export function diffConfigs(
  left: Record<string, unknown>,
  right: Record<string, unknown>,
): ConfigDifference[] {
  const key = randomBytes(32);
  const a = flatten(left, key);
  const b = flatten(right, key);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: ConfigDifference[] = [];
  for (const path of paths) {
    const l = a.get(path);
    const r = b.get(path);
    if (l !== undefined && r !== undefined) {
      if (l.json !== r.json) out.push({ path, kind: "changed", left: l.shown, right: r.shown });
    } else if (l !== undefined) out.push({ path, kind: "only-left", left: l.shown });
    else if (r !== undefined) out.push({ path, kind: "only-right", right: r.shown });
  }
  return out;
}

function flatten(value: Record<string, unknown>, key: Buffer) {
  const leaves = new Map<string, { json: string; shown: string }>();
  const visit = (node: unknown, path: (string | number)[]) => {
    if (
      node !== null &&
      typeof node === "object" &&
      !Array.isArray(node) &&
      Object.keys(node).length > 0
    ) {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
      return;
    }
    const json = JSON.stringify(node);
    const last = path.at(-1);
    const secret =
      typeof last === "string" &&
      SECRET_KEY.test(last) &&
      typeof node === "string" &&
      // An environment reference names a variable, not a secret.
      envReference(node) === null;
    leaves.set(formatJsonPath(path), { json, shown: secret ? mask(node, key) : json });
  };
  visit(value, []);
  return leaves;
}

function mask(secret: string, key: Buffer): string {
  return `<secret …${createHmac("sha256", key).update(secret).digest("hex").slice(0, 4)}>`;
}
