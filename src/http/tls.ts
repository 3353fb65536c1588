import { X509Certificate, createPrivateKey } from "node:crypto";
import { rootCertificates } from "node:tls";
import type { ClawopsConfig } from "../config/schema.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { readText } from "../system/files.js";

type HttpConfig = ClawopsConfig["http"];

/** What the daemon serves HTTPS with (PEM text; the key never leaves the process). */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the leaf certificate, as Node prints it (`AA:BB:...`). */
  fingerprint256: string;
  /** The leaf's last day of validity (UTC ISO 8601). */
  validTo: string;
}

/** The API's base URL: `https://` when `http.tls` is set. */
export function apiBaseUrl(http: HttpConfig): string {
  return `${http.tls ? "https" : "http"}://${http.host}:${http.port}`;
}

/**
 * Reads and checks `http.tls` at start: each file readable, the certificate
 * a PEM X.509 certificate, the key an unencrypted PEM private key, and the
 * key the certificate's own. Throws `CONFIG_INVALID` naming the setting, the
 * file and the fix; null without `http.tls`. Never puts the key in a message.
 */
export function loadTls(http: HttpConfig): TlsMaterial | null {
  const tls = http.tls;
  if (!tls) return null;
  const cert = readSetting("http.tls.cert", tls.cert);
  const key = readSetting("http.tls.key", tls.key);
  const leaf = parseCertificate("http.tls.cert", tls.cert, cert);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw invalid(
      "http.tls.key",
      `${tls.key} is not an unencrypted PEM private key (an encrypted key would need a passphrase at every start: remove it with openssl pkey -in KEY -out KEY.plain)`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw invalid(
      "http.tls.key",
      `${tls.key} is not the key of the certificate ${tls.cert} (the pair does not match: check that both come from the same issuance)`,
    );
  if (tls.ca) parseCertificate("http.tls.ca", tls.ca, readSetting("http.tls.ca", tls.ca));
  return {
    cert,
    key,
    fingerprint256: leaf.fingerprint256,
    validTo: new Date(leaf.validTo).toISOString(),
  };
}

/** What a client of this daemon trusts: the system's CAs, `http.tls.ca`, and the certificate itself (self-signed). */
export interface TlsTrust {
  ca: string[];
  /** The certificate the daemon must present: the one in `http.tls.cert` (renewed: restart the daemon). */
  fingerprint256: string;
}

/** The CLI's trust for `http.tls`; throws `CONFIG_INVALID` when the files cannot be read. Null without TLS. */
export function clientTrust(http: HttpConfig): TlsTrust | null {
  const tls = http.tls;
  if (!tls) return null;
  const cert = readSetting("http.tls.cert", tls.cert);
  const leaf = parseCertificate("http.tls.cert", tls.cert, cert);
  const ca = tls.ca ? [readSetting("http.tls.ca", tls.ca)] : [];
  return { ca: [...rootCertificates, ...ca, cert], fingerprint256: leaf.fingerprint256 };
}

function readSetting(setting: string, file: string): string {
  try {
    return readText(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? `cannot be read by this user (uid ${process.getuid?.() ?? "?"}): give it read access`
          : errorMessage(error);
    throw invalid(setting, `${file} ${why}`);
  }
}

function parseCertificate(setting: string, file: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw invalid(
      setting,
      `${file} is not a PEM X.509 certificate ("-----BEGIN CERTIFICATE-----")`,
    );
  }
}

function invalid(setting: string, message: string): OpsError {
  return new OpsError("CONFIG_INVALID", `${setting}: ${message}`, {
    issues: [{ path: setting, message, severity: "error" }],
  });
}
