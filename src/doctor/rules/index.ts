import type { DoctorRule } from "../rule.js";
import { bindSafety } from "./bind-safety.js";
import { duplicateKeys } from "./duplicate-keys.js";
import { filePermissions } from "./file-permissions.js";
import { fleet } from "./fleet.js";
import { gatewayToken } from "./gateway-token.js";
import { legacyFiles } from "./legacy-files.js";
import { legacyKeys } from "./legacy-keys.js";
import { openclawLint } from "./openclaw-lint.js";
import { plaintextSecrets } from "./plaintext-secrets.js";
import { providerCredentials } from "./provider-credentials.js";
import { schema } from "./schema.js";

/**
 * Every doctor rule, in the order their findings are listed within a severity:
 * the one list. Each rule declares its `speed` and `scope`, and callers select
 * by those (run-doctor.ts `selectRules`); a new rule is one file, one line here
 * and its row in docs/doctor.md (index.test.ts checks them).
 */
export const DOCTOR_RULES: readonly DoctorRule[] = [
  legacyKeys,
  schema,
  duplicateKeys,
  providerCredentials,
  legacyFiles,
  bindSafety,
  gatewayToken,
  plaintextSecrets,
  filePermissions,
  fleet,
  openclawLint,
];
