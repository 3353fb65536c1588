import { hostname } from "node:os";
import { HOST_ID } from "../config/schema.js";

/**
 * This daemon's host id: `host.id` (config or `CLAWOPS_HOST_ID`), else the
 * machine's hostname made valid (lowercased, other characters to '-', at
 * most 63). Pure but for the hostname; never throws ("host" as a last resort).
 */
export function resolveHostId(configured: string | undefined, machine = hostname()): string {
  if (configured) return configured;
  const cleaned = machine
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  return HOST_ID.test(cleaned) ? cleaned : "host";
}
