import { OpsError } from "../core/errors.js";
import { CLAWOPS_VERSION } from "../core/version.js";
import { type DeviceKeyring, signDevice } from "./device-identity.js";
import type { GatewayErrorShape } from "./frames.js";

/**
 * How clawops presents itself to a gateway:
 * - `backend`: the loopback backend client with the shared token (full scopes, no device);
 * - `device`: the same operator role with clawops's Ed25519 device identity, which a
 *   non-loopback gateway requires (it may ask for pairing approval once).
 * `auto` picks `backend` for a loopback host and `device` otherwise.
 */
export type AuthMode = "auto" | "backend" | "device";

export const OPERATOR_SCOPES = ["operator.read", "operator.write", "operator.admin"] as const;
const CLIENT = { id: "gateway-client", mode: "backend" } as const;

export interface ConnectAuth {
  url: string;
  /** The shared token; may be omitted in `device` mode when a device token is stored. */
  token?: string;
  mode: AuthMode;
  keyring?: DeviceKeyring;
  protocols: { min: number; max: number };
  /** Capabilities to advertise (`exec-approvals`: route exec approvals to this client). */
  caps?: readonly string[];
}

export function resolveAuthMode(auth: ConnectAuth): "backend" | "device" {
  if (auth.mode !== "auto") return auth.mode;
  return isLoopbackUrl(auth.url) ? "backend" : "device";
}

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** The `connect` request's params for one challenge. */
export function buildConnectParams(auth: ConnectAuth, challenge: { nonce: string; ts: number }) {
  const mode = resolveAuthMode(auth);
  const base = {
    minProtocol: auth.protocols.min,
    maxProtocol: auth.protocols.max,
    client: {
      id: CLIENT.id,
      version: CLAWOPS_VERSION,
      platform: process.platform,
      mode: CLIENT.mode,
      displayName: "clawops",
    },
    role: "operator",
    scopes: [...OPERATOR_SCOPES],
    caps: [...(auth.caps ?? [])],
    locale: "en-US",
    userAgent: `clawops/${CLAWOPS_VERSION}`,
  };
  if (mode === "backend") return auth.token ? { ...base, auth: { token: auth.token } } : base;

  const keyring = auth.keyring;
  if (!keyring) {
    throw new OpsError(
      "USAGE",
      `${auth.url} is not on loopback: connecting needs clawops's device identity (no keyring given)`,
    );
  }
  // The shared token wins when both are known: it cannot have been revoked by a re-pairing.
  const deviceToken = keyring.deviceToken(auth.url);
  const credential = auth.token ? { token: auth.token } : deviceToken ? { deviceToken } : undefined;
  const signature = signDevice(keyring.identity, {
    clientId: CLIENT.id,
    clientMode: CLIENT.mode,
    role: base.role,
    scopes: base.scopes,
    signedAtMs: challenge.ts,
    token: auth.token ?? deviceToken ?? "",
    nonce: challenge.nonce,
    platform: process.platform,
  });
  return {
    ...base,
    ...(credential ? { auth: credential } : {}),
    device: {
      id: keyring.identity.deviceId,
      publicKey: keyring.identity.publicKey,
      signature,
      signedAt: challenge.ts,
      nonce: challenge.nonce,
    },
  };
}

/** Maps a refused `connect` to the error a user can act on. */
export function connectError(error: GatewayErrorShape | undefined, auth: ConnectAuth): OpsError {
  const details = error?.details ?? {};
  const detail = typeof details.code === "string" ? details.code : (error?.code ?? "UNKNOWN");
  const message = error?.message ?? "connect refused";
  if (detail === "PAIRING_REQUIRED") {
    const text = (key: string, fallback: string) =>
      typeof details[key] === "string" ? details[key] : fallback;
    const requestId = text("requestId", "<requestId>");
    return new OpsError(
      "GATEWAY_PAIRING_REQUIRED",
      `the gateway has not approved clawops's device ${text("deviceId", "").slice(0, 12)} yet ` +
        `(${text("reason", "not-paired")}); on the gateway host run: openclaw devices approve ${requestId}`,
      { details: { code: detail, requestId, deviceId: details.deviceId, reason: details.reason } },
    );
  }
  const noCredential = !auth.token && !auth.keyring?.deviceToken(auth.url);
  if (noCredential && (detail === "DEVICE_IDENTITY_REQUIRED" || detail === "AUTH_TOKEN_MISSING")) {
    return new OpsError(
      "GATEWAY_AUTH_REJECTED",
      `no token given, and the gateway requires one (${detail})`,
      { details: { code: detail } },
    );
  }
  if (detail.startsWith("AUTH_") || detail.startsWith("DEVICE_AUTH_")) {
    return new OpsError(
      "GATEWAY_AUTH_REJECTED",
      `token rejected by gateway (${detail}): ${message}`,
      {
        details: { code: detail },
      },
    );
  }
  if (detail === "PROTOCOL_MISMATCH") {
    const expected = details.expectedProtocol;
    const offered = `${auth.protocols.min}-${auth.protocols.max}`;
    return new OpsError(
      "GATEWAY_PROTOCOL_MISMATCH",
      `protocol mismatch: the gateway speaks protocol ${String(expected)}, clawops offered ${offered}`,
      { details: { expectedProtocol: expected, offered } },
    );
  }
  if (error?.code === "UNAVAILABLE") {
    return new OpsError("UNAVAILABLE", `gateway is starting: ${message}`, {
      retryable: true,
      details: { retryAfterMs: error.retryAfterMs ?? 500 },
    });
  }
  return new OpsError("GATEWAY_ERROR", `connect failed (${detail}): ${message}`, {
    details: { code: detail },
  });
}

/**
 * A gateway may accept a connection yet grant fewer scopes than asked: off
 * loopback, a device-less client gets none at all (observed on 2026.9.6).
 * Without `operator.read` nothing clawops does would work, so that is an error
 * now rather than a MISSING_SCOPE on every later call.
 */
export function checkGrantedScopes(granted: readonly string[], auth: ConnectAuth): OpsError | null {
  if (granted.includes("operator.read")) return null;
  const hint =
    resolveAuthMode(auth) === "backend" && !isLoopbackUrl(auth.url)
      ? "; off loopback clawops must use its device identity (auth mode device or auto)"
      : "";
  return new OpsError(
    "GATEWAY_AUTH_REJECTED",
    `the gateway accepted the connection but granted ${granted.length === 0 ? "no scopes" : granted.join(", ")}, not operator.read${hint}`,
    { details: { code: "SCOPES_NOT_GRANTED", granted: [...granted] } },
  );
}

/** Maps a failed request; the gateway's own code and detail code stay in the message. */
export function requestError(method: string, error: GatewayErrorShape | undefined): OpsError {
  const detail = typeof error?.details?.code === "string" ? ` ${error.details.code}` : "";
  return new OpsError(
    "GATEWAY_ERROR",
    `${method} failed: ${error?.code ?? "UNKNOWN"}${detail}: ${error?.message ?? ""}`,
    {
      retryable: error?.retryable ?? false,
      details: { method, code: error?.code, ...(error?.details ?? {}) },
    },
  );
}
