import { z } from "zod";

/** The default KEK: one key, `primary`, from `CLAWOPS_VAULT_KEY`. */
export const DEFAULT_VAULT_KEY = { id: "primary", env: "CLAWOPS_VAULT_KEY" } as const;

/** One key-encryption key: its id (stored with each record) and where its 32 bytes are. */
const vaultKeySchema = z
  .strictObject({
    /** Stored with every record it wraps: never reuse an id for another key. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: "expected 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    }),
    /** A variable holding the key as base64 of 32 bytes (`openssl rand -base64 32`). */
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" })
      .optional(),
    /**
     * A file holding the key as base64 of 32 bytes, mode 0600 or stricter (a
     * file the group or others can read is refused); relative to clawops.yaml.
     */
    file: z.string().min(1).optional(),
  })
  .refine((key) => key.env !== undefined || key.file !== undefined, {
    error: "set `env`, `file` or both: where this key's 32 bytes are",
  });

/**
 * `vault` in clawops.yaml: the keys that encrypt stored credentials
 * (docs/vault.md). The FIRST key is the current one: new records and
 * `clawops vault rotate` use it; the others are previous keys, kept so that
 * records not yet re-wrapped stay readable. A key with both `env` and `file`
 * is read from the variable when it is set (not empty), else from the file;
 * a set variable that is invalid is an error, never a fall back to the file.
 * Default: one key, `primary`, from `CLAWOPS_VAULT_KEY`.
 */
export const vaultConfigSchema = z
  .strictObject({
    keys: z
      .array(vaultKeySchema)
      .min(1, { error: "expected at least one key (the first is the current one)" })
      .default([{ ...DEFAULT_VAULT_KEY }]),
    /** Records re-wrapped per transaction by `clawops vault rotate`. */
    rotateBatchSize: z.number().int().min(1).max(10_000).default(100),
  })
  .prefault({})
  .superRefine((vault, ctx) => {
    const seen = new Map<string, number>();
    vault.keys.forEach((key, index) => {
      const first = seen.get(key.id);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["keys", index, "id"],
          message: `duplicate key id "${key.id}" (also vault.keys[${first}])`,
        });
      else seen.set(key.id, index);
    });
  });

export type VaultSettings = z.output<typeof vaultConfigSchema>;
export type VaultKeySettings = VaultSettings["keys"][number];
