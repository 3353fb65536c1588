/** A URL as the report shows it: without its user's password (and without a query, which may carry a key). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

/** The password in a URL, if any: a secret the report must never show. */
export function urlPassword(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password || undefined;
  } catch {
    return undefined;
  }
}

/** An error's words, with the network cause `fetch` hides behind "fetch failed" (ECONNREFUSED...). */
export function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && cause.message && cause.message !== error.message)
    return `${error.message} (${cause.message})`;
  return error.message;
}
