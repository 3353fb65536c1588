import type { Driver } from "../core/bot.js";
import { adoptedDriver } from "./adopted.js";
import type { GatewayDriver } from "./driver.js";
import { processDriver } from "./process.js";

export interface DriverOptions {
  /** How often a process clawops did not spawn is polled for its exit. */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Every driver, in one place; a bot names its own (`process` by default). */
export function createDrivers(options: DriverOptions = {}): Record<Driver, GatewayDriver> {
  return { process: processDriver(options), adopted: adoptedDriver(options) };
}
