import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { DoctorChecker, type DoctorRequest } from "./checker.js";
import { DoctorRouter, DoctorThread, OFF_THREAD_BYTES } from "./off-thread.js";
import { freePort } from "../../test/helpers/cli.js";
import { longestStall } from "../../test/helpers/loop.js";

const dir = mkdtempSync(path.join(tmpdir(), "clawops-doctor-thread-"));
/**
 * Not OpenClaw's default port: another suite's gateway may take 18789 between two runs and
 * add a port-in-use finding to one report only.
 */
const port = await freePort();
const thread = new DoctorThread({ deadlineMs: 60_000, log: pino({ level: "silent" }) });
afterAll(async () => {
  await thread.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A config just under the size bound, full of findings: duplicate keys and legacy keys. */
function largeConfig(): string {
  const providers = Array.from(
    { length: 6_000 },
    (_, i) =>
      `    p${i}: { baseUrl: "https://llm${i}.example.com/v1", api: "openai-completions", models: [{ id: "m", name: "M" }] },`,
  );
  const dups = Array.from({ length: 2_000 }, (_, i) => `  dup: ${i},`);
  return `// large\n{\n  gateway: { bind: "lan", port: ${port} },\n  models: {\n    providers: {\n${providers.join("\n")}\n    },\n  },\n${dups.join("\n")}\n}\n`;
}

function request(file: string, extra: Partial<DoctorRequest> = {}): DoctorRequest {
  return {
    target: { configFile: file, stateDir: null, bot: null },
    env: {},
    fleet: [],
    portSpacing: 20,
    openclaw: null,
    ...extra,
  };
}

describe("the doctor in a worker thread", () => {
  it("gives the report the calling thread gives, without stalling the caller's loop", async () => {
    const file = path.join(dir, "large.json5");
    const text = largeConfig();
    expect(text.length).toBeGreaterThan(700_000);
    writeFileSync(file, text);
    await thread.run(request(file)); // a warm worker, as in a running daemon

    const inline = await longestStall(() => new DoctorChecker().run(request(file)));
    const off = await longestStall(() => thread.run(request(file)));

    const { durationMs: _a, ...expected } = inline.result;
    const { durationMs: _b, ...actual } = off.result;
    expect(actual).toEqual(expected);
    expect(actual.findings.some((f) => f.id === "duplicate-keys")).toBe(true);
    // The parse alone stalls the calling thread; the worker leaves it free.
    expect(inline.longest).toBeGreaterThan(50);
    expect(off.longest).toBeLessThan(inline.longest / 3);
  });

  it("passes a refusal from the worker back as the same error", async () => {
    const file = path.join(dir, "small.json5");
    writeFileSync(file, `{ gateway: { port: ${port} } }\n`);
    await expect(thread.run(request(file, { ruleIds: ["no-such-rule"] }))).rejects.toMatchObject({
      code: "INTERNAL",
      message: "no doctor rule is registered as no-such-rule",
    });
    // The worker survives a refused run.
    await expect(thread.run(request(file))).resolves.toMatchObject({ configFile: file });
  });

  it("abandons a run past its deadline and starts a fresh worker for the next", async () => {
    const file = path.join(dir, "large.json5");
    const hurried = new DoctorThread({ deadlineMs: 1, log: pino({ level: "silent" }) });
    try {
      await expect(hurried.run(request(file))).rejects.toMatchObject({ code: "TIMEOUT" });
      const patient = new DoctorThread({ deadlineMs: 60_000, log: pino({ level: "silent" }) });
      await expect(patient.run(request(file))).resolves.toMatchObject({ configFile: file });
      await patient.close();
    } finally {
      await hurried.close();
    }
  });

  it("routes by size in the daemon: a large config to the worker, a small one here", async () => {
    const router = new DoctorRouter({ deadlineMs: 60_000, log: pino({ level: "silent" }) });
    try {
      const large = path.join(dir, "large.json5");
      writeFileSync(large, largeConfig());
      const small = path.join(dir, "small.json5");
      writeFileSync(small, `{ gateway: { port: ${port} }, gateway: { port: ${port + 1} } }\n`);
      expect(largeConfig().length).toBeGreaterThan(OFF_THREAD_BYTES);
      await router.run(request(large)); // the worker warmed up
      const inline = await longestStall(() => new DoctorChecker().run(request(large)));
      const routed = await longestStall(() => router.run(request(large)));
      expect(routed.longest).toBeLessThan(inline.longest / 3);
      const here = await router.run(request(small));
      expect(here.findings.map((f) => f.id)).toContain("duplicate-keys");
    } finally {
      await router.close();
    }
  });
});
