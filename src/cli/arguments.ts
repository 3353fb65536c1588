import { InvalidArgumentError, Option } from "commander";
import { resolveDurationMs, resolveSince } from "../core/duration.js";

/** Commander parser for a `--port` value (the range itself is checked where the port is used). */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a number from 1024 to 65535");
  return Number(value);
}

/** Commander parser for a count such as `--limit` (1 to `max`). */
export function parseCount(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

/** Commander parser for a duration such as `--timeout 5s` (milliseconds). */
export function parseDuration(value: string): number {
  const ms = resolveDurationMs(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a duration such as "5s" or "500ms"');
  return ms;
}

/** Commander parser for `--since`/`--until`: a duration back from now (`7d`) or a date. */
export function parseSince(value: string): string {
  const since = resolveSince(value);
  if (!since)
    throw new InvalidArgumentError(
      'expected a duration back from now ("24h", "7d") or a date ("2026-11-01")',
    );
  return since;
}

/** Commander parser for a repeatable `--label key=value` (an empty value is kept: `key=`). */
export function parseLabel(
  value: string,
  previous: Record<string, string>,
): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** A bot command's `--config`: the gateway's openclaw.json, kept apart from the program's own `--config`. */
export function gatewayConfigOption(description: string): Option {
  const option = new Option("--config <path>", description);
  option.attributeName = () => "openclawConfig";
  return option;
}
