/** "3d 4h", "12m", "45s": how long since `iso`, from `now`. */
export function since(iso: string | null, now: number): string {
  if (!iso) return "–";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Bytes as MiB, or a dash. */
export function mib(bytes: number | null): string {
  return bytes === null ? "–" : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** A share as a percentage: "99.6 %", whole numbers at the ends ("100 %", "0 %"). */
export function percent(share: number): string {
  return `${(share * 100).toFixed(share >= 0.9995 || share === 0 ? 0 : 1)} %`;
}
