import {
  type KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
} from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { OpsError, errorMessage } from "../core/errors.js";
import { toIssues } from "../core/validation.js";
import { writeFileAtomic } from "../system/files.js";

/**
 * clawops's Ed25519 device identity, as OpenClaw expects it: the id is the
 * sha256 hex of the raw 32-byte public key, and the public key travels as
 * unpadded base64url of those raw bytes.
 */
export interface DeviceIdentity {
  deviceId: string;
  publicKey: string;
  privateKey: KeyObject;
}

/** What the gateway's v3 device signature covers (docs/openclaw-2026.9.6.md §3). */
export interface DeviceSignatureFields {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAtMs: number;
  /** `auth.token ?? auth.deviceToken`, or "" when neither is sent. */
  token: string;
  nonce: string;
  platform: string;
  deviceFamily?: string;
}

export function createDeviceIdentity(): DeviceIdentity {
  return identityFromPrivateKey(generateKeyPairSync("ed25519").privateKey);
}

function identityFromPrivateKey(privateKey: KeyObject): DeviceIdentity {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const raw = spki.subarray(spki.length - 32);
  return {
    deviceId: createHash("sha256").update(raw).digest("hex"),
    publicKey: raw.toString("base64url"),
    privateKey,
  };
}

/** The base64url Ed25519 signature of the v3 payload for one `connect`. */
export function signDevice(identity: DeviceIdentity, fields: DeviceSignatureFields): string {
  const lower = (value: string | undefined) => (value ?? "").trim().toLowerCase();
  const payload = [
    "v3",
    identity.deviceId,
    fields.clientId,
    fields.clientMode,
    fields.role,
    fields.scopes.join(","),
    String(fields.signedAtMs),
    fields.token,
    fields.nonce,
    lower(fields.platform),
    lower(fields.deviceFamily),
  ].join("|");
  return sign(null, Buffer.from(payload, "utf8"), identity.privateKey).toString("base64url");
}

const keyringFileSchema = z.strictObject({
  version: z.literal(1),
  deviceId: z.string(),
  privateKeyPem: z.string(),
  tokens: z.record(
    z.string(),
    z.strictObject({
      deviceToken: z.string(),
      scopes: z.array(z.string()),
      issuedAtMs: z.number(),
    }),
  ),
});
type KeyringFile = z.infer<typeof keyringFileSchema>;

/**
 * The device identity of one clawops install and the device tokens gateways
 * issued to it, kept in one 0600 file under the data dir. Tokens are keyed by
 * the gateway's WebSocket origin (`ws://host:port`).
 */
export class DeviceKeyring {
  readonly identity: DeviceIdentity;

  private constructor(
    private readonly path: string,
    private readonly file: KeyringFile,
  ) {
    this.identity = identityFromPrivateKey(createPrivateKey(file.privateKeyPem));
  }

  /**
   * Opens the keyring at `path`, creating a new identity when the file does not
   * exist. A file that exists but cannot be read is an error naming it: it is
   * never replaced, since that would orphan every pairing the gateways hold.
   */
  static open(path: string): DeviceKeyring {
    if (!existsSync(path)) {
      const privateKey = generateKeyPairSync("ed25519").privateKey;
      const file: KeyringFile = {
        version: 1,
        deviceId: identityFromPrivateKey(privateKey).deviceId,
        privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        tokens: {},
      };
      writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
      return new DeviceKeyring(path, file);
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new OpsError(
        "CONFIG_INVALID",
        `${path}: not a readable keyring: ${errorMessage(error)}`,
      );
    }
    const parsed = keyringFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new OpsError("CONFIG_INVALID", `${path}: not a clawops device keyring`, {
        issues: toIssues(parsed.error),
      });
    }
    return new DeviceKeyring(path, parsed.data);
  }

  /** The device token a gateway issued earlier, if any. */
  deviceToken(url: string): string | undefined {
    return this.file.tokens[gatewayOrigin(url)]?.deviceToken;
  }

  /** Remembers a device token; written at once so a crash does not lose a pairing. */
  saveDeviceToken(url: string, deviceToken: string, scopes: readonly string[]): void {
    const origin = gatewayOrigin(url);
    if (this.file.tokens[origin]?.deviceToken === deviceToken) return;
    this.file.tokens[origin] = { deviceToken, scopes: [...scopes], issuedAtMs: Date.now() };
    writeFileAtomic(this.path, `${JSON.stringify(this.file, null, 2)}\n`, 0o600);
  }
}

function gatewayOrigin(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
