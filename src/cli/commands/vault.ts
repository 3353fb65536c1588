import type { Command } from "commander";
import { OpsError } from "../../core/errors.js";
import type { VaultEntry } from "../../core/vault.js";
import type { RotateReport } from "../../vault/rotate.js";
import { MAX_VALUE_BYTES, Vault, type VaultStatus } from "../../vault/vault.js";
import { act } from "../act.js";
import { parseCount } from "../arguments.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { readSecret } from "../secret-input.js";
import { EXIT, emit, table } from "../output.js";

interface RotateOptions extends CommandOptions {
  batchSize?: number;
}

/**
 * `clawops vault ...`: the credential vault in the store (docs/vault.md).
 * Runs on the store directly (daemon or not), with the keys of this shell's
 * environment and clawops.yaml. No command prints a value.
 */
export function registerVaultCommands(program: Command) {
  const vault = program
    .command("vault")
    .description(
      "encrypted credentials in clawops's store (docs/vault.md); values are never printed",
    );

  vault
    .command("status")
    .description(
      "the configured keys, the records under each, and what keeps any record unreadable (exit 1 then)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const status = await withVault(options, (v) => v.status());
        emit(options, status, renderStatus);
        return status.problems.length > 0 ? EXIT.failure : EXIT.ok;
      }),
    );

  vault
    .command("put")
    .argument("<name>", "record name, e.g. bot/alpha/telegram (lowercase, digits, . _ : / -)")
    .description(
      "seal the value read from stdin (one trailing newline dropped) under the current key, replacing any value of that name: printf '%s' \"$TOKEN\" | clawops vault put NAME",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, name: string) => {
        const value = await readValue(name);
        const entry = await withVault(options, (v) => v.put(name, value));
        emit(
          options,
          { entry },
          ({ entry: e }) => `stored ${e.name} (${e.bytes} bytes) under key ${e.kekId}`,
        );
        return EXIT.ok;
      }),
    );

  vault
    .command("list")
    .argument("[prefix]", "only names starting with it, e.g. bot/alpha/")
    .description("record names and metadata (never values)")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, prefix?: string) => {
        const entries = await withVault(options, (v) => v.list(prefix));
        emit(options, { entries }, ({ entries: list }) => renderList(list));
        return EXIT.ok;
      }),
    );

  vault
    .command("remove")
    .argument("<name>", "record name")
    .description("delete a record (its value is gone: there is no undo)")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, name: string) => {
        const removed = await withVault(options, (v) => v.remove(name));
        if (!removed)
          throw new OpsError("NOT_FOUND", `no vault record "${name}"`, { details: { name } });
        emit(options, { removed: name }, () => `removed ${name}`);
        return EXIT.ok;
      }),
    );

  vault
    .command("rotate")
    .description(
      "re-wrap every record's data key under the current key (the first of vault.keys), in batches; safe to interrupt (Ctrl-C stops after the batch in flight) and to run again; progress on stderr",
    )
    .option(
      "--batch-size <n>",
      "records per transaction (default: vault.rotateBatchSize)",
      parseCount(10_000),
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: RotateOptions) => {
        const stop = new AbortController();
        const onSignal = () => {
          process.stderr.write(
            "clawops: stopping after the batch in flight (Ctrl-C again to quit now)\n",
          );
          stop.abort();
        };
        process.once("SIGINT", onSignal);
        try {
          const report = await withRegistry(options, ({ store, config }) =>
            Vault.open(store.vault, config.vault).rotate({
              batchSize: options.batchSize ?? config.vault.rotateBatchSize,
              signal: stop.signal,
              onProgress: (p) =>
                process.stderr.write(
                  `  ${p.done}/${p.total} records handled, ${p.rewrapped} re-wrapped\n`,
                ),
            }),
          );
          emit(options, report, renderRotation);
          return report.failed.length > 0 || report.interrupted ? EXIT.failure : EXIT.ok;
        } finally {
          process.off("SIGINT", onSignal);
        }
      }),
    );
}

function withVault<T>(options: CommandOptions, work: (vault: Vault) => Promise<T>): Promise<T> {
  return withRegistry(options, ({ store, config }) => work(Vault.open(store.vault, config.vault)));
}

/** The value from stdin (a terminal is refused: what is typed there would be echoed). */
function readValue(name: string): Promise<string> {
  return readSecret({
    what: `the value of "${name}"`,
    maxBytes: MAX_VALUE_BYTES,
    usage: `printf '%s' "$VALUE" | clawops vault put ${name} (or < file)`,
  });
}

function renderStatus(s: VaultStatus): string {
  const rows = s.keys.map((k) => [
    k.current ? `${k.id} (current)` : k.id,
    k.source,
    k.problem ? "unavailable" : k.sealedByOtherKey ? "wrong key" : "ok",
    String(k.records),
  ]);
  for (const u of s.unknownKeys)
    rows.push([u.kekId, "not configured", "unknown", String(u.records)]);
  const lines = [table(["KEY", "SOURCE", "STATE", "RECORDS"], rows), ""];
  lines.push(
    `${s.records} record(s); ${s.toRotate === 0 ? "all under the current key" : `${s.toRotate} not under the current key (clawops vault rotate)`}`,
  );
  if (s.problems.length > 0) lines.push("problems:", ...s.problems.map((p) => `  ${p}`));
  return lines.join("\n");
}

function renderList(entries: VaultEntry[]): string {
  if (entries.length === 0) return "no vault records";
  return table(
    ["NAME", "KEY", "BYTES", "UPDATED"],
    entries.map((e) => [e.name, e.kekId, String(e.bytes), e.updatedAt]),
  );
}

function renderRotation(r: RotateReport): string {
  const lines = [
    `re-wrapped ${r.rewrapped} of ${r.total} record(s) under key ${r.keyId}${r.changedMeanwhile ? ` (${r.changedMeanwhile} changed meanwhile, already under it)` : ""}`,
  ];
  for (const f of r.failed)
    lines.push(`  not re-wrapped: ${f.name} (key ${f.kekId}): ${f.message}`);
  if (r.interrupted)
    lines.push(
      `interrupted: ${r.remaining} record(s) left; run clawops vault rotate again to finish`,
    );
  else if (r.remaining > 0)
    lines.push(`${r.remaining} record(s) still not under ${r.keyId}: keep their keys configured`);
  else lines.push(`every record is under ${r.keyId}: previous keys can be removed from vault.keys`);
  return lines.join("\n");
}
