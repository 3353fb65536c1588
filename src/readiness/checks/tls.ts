import { readFileSync } from "node:fs";
import { type PeerCertificate, checkServerIdentity, connect } from "node:tls";
import { z } from "zod";
import { errorMessage } from "../../core/errors.js";
import { componentSchema, defineCheck } from "../check.js";

const DAY_MS = 86_400_000;

const schema = componentSchema(
  "tls",
  { weight: 2, timeout: "10s" },
  {
    /** `https://host[:port]` (or `host:port`): where the certificate is served. */
    url: z.string().regex(/^(https:\/\/)?[A-Za-z0-9.\-[\]:]+(:\d+)?\/?.*$/, {
      error: "expected https://host[:port] or host:port",
    }),
    /** Fewer days than this before expiry is a warning. */
    warnDays: z.number().int().min(1).max(365).default(21),
    /** The name the certificate must be valid for; the URL's host by default. */
    servername: z.string().min(1).optional(),
    /** A PEM file of CAs to trust besides the system's (a private CA); relative to clawops.yaml's folder is not resolved: give an absolute path. */
    ca: z.string().min(1).optional(),
  },
);

/**
 * A TLS endpoint's certificate: it chains to a trusted CA, is valid for the
 * host name, and does not expire within `warnDays`.
 */
export const tls = defineCheck({
  id: "tls",
  title: "TLS certificate",
  schema,
  target: (config) => config.url,
  async run(config, deps, signal) {
    const parsed = new URL(/^https:\/\//.test(config.url) ? config.url : `https://${config.url}`);
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const port = Number(parsed.port || 443);
    const servername = config.servername ?? host;
    let ca: string | undefined;
    try {
      ca = config.ca ? readFileSync(config.ca, "utf8") : undefined;
    } catch (error) {
      return {
        status: "fail",
        summary: `cannot read the ca file: ${errorMessage(error)}`,
        fix: "ca names a PEM file of the CAs to trust (an absolute path)",
      };
    }
    let seen: { cert: PeerCertificate; authorizationError: string | null };
    try {
      seen = await peerCertificate(host, port, servername, ca, signal);
    } catch (error) {
      return {
        status: "fail",
        summary: `no TLS handshake with ${host}:${port}: ${errorMessage(error)}`,
        fix: "is the TLS endpoint up, and is it TLS on that port? (openssl s_client -connect host:port)",
      };
    }
    const { cert } = seen;
    const notAfter = Date.parse(cert.valid_to);
    const daysLeft = Math.floor((notAfter - deps.now()) / DAY_MS);
    const evidence = {
      subject: cert.subject?.CN ?? "",
      issuer: cert.issuer?.CN ?? "",
      notAfter: new Date(notAfter).toISOString(),
      daysLeft,
    };
    if (notAfter <= deps.now() || seen.authorizationError === "CERT_HAS_EXPIRED") {
      return {
        status: "fail",
        summary: `the certificate expired on ${evidence.notAfter}`,
        evidence,
        fix: "renew it now (certbot renew; Caddy renews by itself when it can reach the ACME CA) and reload the server",
      };
    }
    // `servername` is not verified by node when checking ourselves: do it explicitly (IPs via SAN).
    const identity = checkServerIdentity(servername, cert);
    if (identity) {
      return {
        status: "fail",
        summary: `the certificate is not valid for ${servername}: ${identity.message}`,
        evidence,
        fix: `issue a certificate whose subjectAltName includes ${servername}`,
      };
    }
    if (seen.authorizationError) {
      return {
        status: "fail",
        summary: `the certificate is not trusted: ${seen.authorizationError}`,
        evidence,
        fix: "serve the full chain from a public CA (fullchain.pem, not cert.pem); for a private CA, name its PEM in ca",
      };
    }
    if (daysLeft < config.warnDays) {
      return {
        status: "warn",
        summary: `the certificate expires in ${daysLeft} day(s), under ${config.warnDays}`,
        evidence,
        fix: "renew it (certbot renew), and check that automatic renewal runs (systemctl list-timers)",
      };
    }
    return {
      status: "pass",
      summary: `trusted, valid for ${servername}, not expiring within ${config.warnDays} day(s)`,
      evidence,
    };
  },
});

function peerCertificate(
  host: string,
  port: number,
  servername: string,
  ca: string | undefined,
  signal: AbortSignal,
): Promise<{ cert: PeerCertificate; authorizationError: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // SNI takes a name, never an IP address.
      ...(/^[\d.]+$|:/.test(servername) ? {} : { servername }),
      // Verified below, to say why rather than only refuse.
      rejectUnauthorized: false,
      ...(ca ? { ca: [ca] } : {}),
    });
    const abort = () => socket.destroy(new Error("aborted"));
    signal.addEventListener("abort", abort, { once: true });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const error = socket.authorizationError;
      socket.end();
      signal.removeEventListener("abort", abort);
      if (!cert || Object.keys(cert).length === 0)
        reject(new Error("the server sent no certificate"));
      else
        resolve({
          cert,
          authorizationError: error ? String((error as { code?: string }).code ?? error) : null,
        });
    });
    socket.once("error", (error) => {
      signal.removeEventListener("abort", abort);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}
