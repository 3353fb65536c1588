const MASK = "[REDACTED]";

/** Shapes of secrets that are recognisable without knowing them. */
const PATTERNS: readonly [RegExp, string][] = [
  // Provider keys: sk-..., sk-ant-..., rk-..., xai-...
  [/\b(?:sk|rk|pk|xai|gsk)-[A-Za-z0-9_-]{8,}/g, MASK],
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi, `Bearer ${MASK}`],
  // Telegram bot tokens: <digits>:<35 chars>.
  [/\b\d{6,}:[A-Za-z0-9_-]{30,}\b/g, MASK],
  // Command-line flags: --token X, --password=X.
  [/(--(?:token|password|passwd|secret|api-key|apikey|key)[= ]+)(\S+)/gi, `$1${MASK}`],
  // key=value and "key": "value" for names that hold secrets.
  [
    /((?:api[_-]?key|apikey|token|secret|password|passwd|authorization)["']?\s*[:=]\s*["']?)([^"'\s,;}]{4,})/gi,
    `$1${MASK}`,
  ],
];

/**
 * Returns a function that masks every known secret (at least 6 characters;
 * shorter values would mask ordinary words) and every secret-shaped string.
 * Used on anything that leaves clawops's hands: AI prompts, stored evidence,
 * chat messages.
 */
export function createRedactor(
  known: Iterable<string | null | undefined>,
): (text: string) => string {
  const secrets = [...new Set([...known].filter((s): s is string => !!s && s.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/** Applies `redact` to every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)]),
    ) as T;
  }
  return value;
}

/** Names of fields and variables that hold secrets. */
export const SECRET_NAME = /(key|token|secret|password|passwd|credential)/i;

/** Values of secret-named variables in an environment (provider keys, tokens). */
export function secretsInEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value)
    .map(([, value]) => value!);
}

/** String values under secret-named keys anywhere in a parsed config. */
export function secretsInConfig(config: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (typeof value === "string") {
      if (SECRET_NAME.test(key)) found.push(value);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(config, "");
  return found;
}
