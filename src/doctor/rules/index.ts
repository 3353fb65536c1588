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

/** Every doctor rule, in the order their findings are listed within a severity. */
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

/** The rules that judge the config file itself: whether a gateway would accept it. */
export const CONFIG_RULES: readonly DoctorRule[] = [
  legacyKeys,
  schema,
  duplicateKeys,
  bindSafety,
  gatewayToken,
];
