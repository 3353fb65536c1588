import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor } from "../core/redact.js";
import { collectBotSecrets, gatewayConfigCopies } from "./bot-secrets.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "clawops-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Values with no recognisable shape: only knowing them masks them. */
const TOKEN = "Zq9vT3nB7wXk2LmP4rYc8HdJ6sFa1GeU";
const FILE_TOKEN = "Pw5Hn2Qk8Zr4Tx7Vb3Lm9Cd6Fg1Js0Ay";
const JSON_KEY = "Mf3Rt8Wq2Np6Kx9Bz4Hv7Lc5Dj1Gs0Ye";
const PLAIN_KEY = "Lk4Jh7Gf2Ds9Aq3Wx6Ez8Rc1Tv5Yb0Nm";
const REFERENCED = "Hy6Ub3Ij9Ok2Pl5Mn8Bv4Cx7Za1Sd0Fg";
const DECLARED = "Qa2Ws5Ed8Rf1Tg4Yh7Uj0Ik3Ol6Pz9Xc";
const OLD_TOKEN = "Vb1Nm4Qw7Er0Ty3Ui6Op9As2Df5Gh8Jk";

function write(name: string, content: unknown, mode = 0o600) {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content), { mode });
  return file;
}

describe("collectBotSecrets", () => {
  it("knows every secret of the bot's configs, its secret files and its environment", () => {
    const tokenFile = write("gateway-token", `${FILE_TOKEN}\n`);
    const keysFile = write("keys.json", { providers: { b: { apiKey: JSON_KEY } } });
    const config = write(
      "openclaw.json",
      // JSON5, as OpenClaw reads it.
      `{
        // the gateway's token comes from a file
        gateway: { auth: { mode: "token", token: { source: "file", provider: "tok", id: "value" } } },
        secrets: { providers: {
          tok: { source: "file", path: ${JSON.stringify(tokenFile)}, mode: "singleValue" },
          keys: { source: "file", path: ${JSON.stringify(keysFile)}, mode: "json" },
        } },
        models: { providers: {
          a: { baseUrl: "http://127.0.0.1:9/v1", apiKey: ${JSON.stringify(PLAIN_KEY)} },
          b: { apiKey: { source: "file", provider: "keys", id: "/providers/b/apiKey" } },
          c: { apiKey: "\${LLM_ACCESS}" },
        } },
      }`,
    );
    // OpenClaw's backup still holds the token the running gateway may have started with.
    writeFileSync(`${config}.bak`, JSON.stringify({ gateway: { auth: { token: OLD_TOKEN } } }));
    const env = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/srv/openclaw/bot",
      LLM_ACCESS: REFERENCED,
      DEPLOY_NOTE: DECLARED,
      OPENCLAW_SKIP_CHANNELS: "1",
    };
    const secrets = collectBotSecrets({
      configFiles: gatewayConfigCopies(config),
      env,
      declared: ["HOME", "DEPLOY_NOTE", "PATH"],
      daemonEnv: { CLAWOPS_TELEGRAM_TOKEN: "123456:telegram-daemon-token", PATH: "/bin" },
    });
    for (const secret of [
      FILE_TOKEN,
      JSON_KEY,
      PLAIN_KEY,
      REFERENCED,
      DECLARED,
      OLD_TOKEN,
      "123456:telegram-daemon-token",
    ])
      expect(secrets).toContain(secret);
    // Paths and flags are not secrets: masking them would make every log unreadable.
    expect(secrets).not.toContain("/srv/openclaw/bot");
    expect(secrets).not.toContain(env.PATH);
    const redact = createRedactor(secrets);
    const line = `401 Incorrect API key provided: ${PLAIN_KEY}; token ${FILE_TOKEN} ${DECLARED} in /srv/openclaw/bot`;
    expect(redact(line)).toBe(
      "401 Incorrect API key provided: [REDACTED]; token [REDACTED] [REDACTED] in /srv/openclaw/bot",
    );
  });

  it("adds nothing for a missing, unparsable or non-object config, and never throws", () => {
    const broken = write("broken.json", "{ gateway: ");
    const list = write("list.json", "[1, 2]");
    expect(
      collectBotSecrets({
        configFiles: [path.join(dir, "absent.json"), broken, list],
        env: {},
        daemonEnv: {},
      }),
    ).toEqual([]);
  });

  it("reads a gateway token written as ${VAR} from the gateway's environment", () => {
    const config = write("openclaw.json", { gateway: { auth: { token: "${GW_AUTH}" } } });
    const secrets = collectBotSecrets({
      configFiles: [config],
      env: { GW_AUTH: TOKEN },
      daemonEnv: {},
    });
    expect(secrets).toContain(TOKEN);
  });
});
