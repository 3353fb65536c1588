import { InvalidArgumentError } from "commander";

/** Commander parser for a `--port` value (the range itself is checked where the port is used). */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a number from 1024 to 65535");
  return Number(value);
}
