import type { FastifyRequest } from "fastify";

export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
const CLIENT = /^[a-z][a-z0-9-]{0,31}$/;

/** The caller's `x-clawops-client` (`cli`, `script`, ...) when well formed; null otherwise. */
export function clientOf(request: FastifyRequest): string | null {
  const value = request.headers["x-clawops-client"];
  return typeof value === "string" && CLIENT.test(value) ? value : null;
}
