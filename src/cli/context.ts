import pino, { type Logger } from "pino";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import type { ClawopsConfig } from "../config/schema.js";
import { formatIssues } from "../core/errors.js";
import { EventBus } from "../events/bus.js";
import { resolveHostId } from "../hosts/identity.js";
import type { RegistryDeps } from "../fleet/registry.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";

/** Options every command sees: the program's `--config` and the command's own `--json`. */
export interface CommandOptions {
  config?: string;
  json?: boolean;
}

/** Loads clawops.yaml; warnings go to stderr so that stdout stays clean for --json. */
export function loadCliConfig(options: CommandOptions): LoadedConfig {
  const loaded = loadConfig({ path: options.config });
  if (loaded.warnings.length > 0) process.stderr.write(`${formatIssues(loaded.warnings)}\n`);
  return loaded;
}

/** A quiet logger for one-shot commands: only problems, to stderr. */
export function commandLogger(): Logger {
  return pino({ level: "warn" }, pino.destination(2));
}

/**
 * Opens the store for a one-shot command (works whether or not the daemon
 * runs: the store is the source of truth), runs `work`, persists the events
 * it published, and closes the store. A command that has loaded its config
 * already passes it (`loaded`), so that the file is read, and its warnings
 * printed, once.
 */
export async function withRegistry<T>(
  options: CommandOptions,
  work: (deps: RegistryDeps & { store: Store; config: ClawopsConfig }) => Promise<T>,
  loaded: LoadedConfig = loadCliConfig(options),
): Promise<T> {
  const { config } = loaded;
  const store = await openStore(config);
  const bus = new EventBus((batch) => store.appendEvents(batch), commandLogger());
  try {
    await store.migrate();
    return await work({
      store,
      bus,
      config,
      dataDir: config.dataDir,
      portBase: config.fleet.portBase,
      portSpacing: config.fleet.portSpacing,
      host: resolveHostId(config.host.id),
    });
  } finally {
    await bus.flush(5_000);
    await store.close();
  }
}
