import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";

/** Where the one-time setup link points (src/access/setup.ts puts the token after `#`). */
export const SETUP_PATH = "/setup";

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem; color: #1c2430; }
h1 { font-size: 1.3rem; margin-bottom: .25rem; }
p.lead { color: #566; margin-top: 0; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; border: 1px solid #99a; border-radius: 4px; }
button { margin-top: 1.25rem; padding: .55rem 1.2rem; font: inherit; border: 0; border-radius: 4px; background: #1f5fbf; color: #fff; cursor: pointer; }
button:disabled { background: #889; }
#message { margin-top: 1rem; padding: .75rem; border-radius: 4px; }
#message.error { background: #fde8e8; color: #8a1111; }
#message.done { background: #e5f5e8; color: #16502a; }
code { background: #eef; padding: 0 .25rem; }
`;

// The page's only script: reads the token from the fragment (never sent to a server), and
// posts the form to the API. Plain DOM, no framework: this page exists before the dashboard.
const SCRIPT = `
const token = decodeURIComponent(location.hash.slice(1));
history.replaceState(null, "", location.pathname);
const form = document.getElementById("setup");
const message = document.getElementById("message");
const say = (kind, text) => { message.className = kind; message.textContent = text; message.hidden = false; };
if (!token) { form.hidden = true; say("error", "This page needs the whole setup link, with the part after #. Run: clawops user setup-link"); }
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  if (data.get("password") !== data.get("repeat")) return say("error", "The two passwords differ.");
  form.querySelector("button").disabled = true;
  try {
    const answer = await fetch("/api/v1/auth/setup", {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "setup-page" },
      body: JSON.stringify({ token, name: data.get("name"), password: data.get("password") }),
    });
    const body = await answer.json();
    if (!answer.ok) {
      const issues = (body.error && body.error.issues) || [];
      throw new Error([body.error ? body.error.message : answer.statusText, ...issues.map((i) => i.path + ": " + i.message)].join("\\n"));
    }
    form.hidden = true;
    say("done", "Owner " + body.user.name + " created, and logged in. Add people with: clawops user add NAME --role operator. The API reference is at /api/docs.");
  } catch (error) {
    form.querySelector("button").disabled = false;
    say("error", error.message);
  }
});
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>clawops: create the first owner</title><style>${STYLE}</style></head>
<body>
<h1>Welcome to clawops</h1>
<p class="lead">Create the first owner. This link works once.</p>
<form id="setup" autocomplete="off">
<label for="name">User name</label>
<input id="name" name="name" required pattern="[a-z0-9][a-z0-9._\\-]{0,62}" title="1-63 of a-z 0-9 . _ -, starting with a letter or digit" autocomplete="username">
<label for="password">Password (12 characters or more)</label>
<input id="password" name="password" type="password" required minlength="12" autocomplete="new-password">
<label for="repeat">The same password again</label>
<input id="repeat" name="repeat" type="password" required minlength="12" autocomplete="new-password">
<button type="submit">Create the owner</button>
</form>
<div id="message" hidden role="status"></div>
<script>${SCRIPT}</script>
</body></html>
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Nothing but this page's own script and style, and calls to its own origin. */
const POLICY = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The page the one-time setup link opens: a form for the first owner's name
 * and password, posted to `POST /api/v1/auth/setup`. Public (the token is the
 * credential, and it stays in the fragment); the dashboard replaces it.
 */
export function registerSetupPage(app: FastifyInstance): void {
  app.get(SETUP_PATH, { schema: { hide: true } }, (_request, reply) =>
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", POLICY)
      .header("cache-control", "no-store")
      .send(PAGE),
  );
}
