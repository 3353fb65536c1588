import JSON5 from "json5";

const parse5 = (text: string) => JSON5.parse<Record<string, Record<string, unknown>>>(text);
import { describe, expect, it } from "vitest";
import { ConfigDocument, applyConfigEdits, formatJsonPath } from "./config-document.js";

const JSON5_TEXT = `// gateway of the support bot
{
  gateway: {
    port: 18789, // fixed by the firewall
    bind: "lan",
    auth: { mode: "token", token: "abc" },
  },
  /* providers from the old script */
  providers: {
    openai: { apiKey: "sk-x" },
  },
  agents: {
    defaults: {
      model: { primary: "openai/gpt-4o" }
    }
  }
}
`;

function parse(text: string) {
  const parsed = ConfigDocument.parse(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.document;
}

describe("ConfigDocument", () => {
  it("locates keys and array elements by line and column", () => {
    const doc = parse(JSON5_TEXT);
    expect(doc.locate(["gateway", "bind"])).toEqual({ line: 5, column: 5 });
    expect(doc.locate(["providers"])).toEqual({ line: 9, column: 3 });
    // an absent path points at its nearest written ancestor
    expect(doc.locate(["gateway", "controlUi", "enabled"])).toEqual({ line: 3, column: 3 });
  });

  it("reports a syntax error with its line and column", () => {
    const parsed = ConfigDocument.parse("{\n  gateway: {\n    port: ,\n  }\n}");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.position).toEqual({ line: 3, column: 11 });
      expect(parsed.message).toMatch(/^not valid JSON5: /);
    }
  });

  it("answers a file cut off inside a string that ends in a backslash (momoa alone loops on it)", () => {
    const parsed = ConfigDocument.parse("{ gateway: { token: 'abc\\");
    expect(parsed.ok).toBe(false);
  });

  it("finds keys written twice", () => {
    const doc = parse("{ a: 1, b: { c: 1, c: 2 }, a: 3 }");
    expect(doc.duplicateKeys().map((d) => formatJsonPath(d.path))).toEqual(["b.c", "a"]);
    expect(doc.get(["a"])).toBe(3);
  });

  it("changes a value and keeps every comment", () => {
    const out = applyConfigEdits(JSON5_TEXT, [
      { op: "set", path: ["gateway", "bind"], value: "loopback" },
    ]);
    expect(out).toBe(JSON5_TEXT.replace('bind: "lan"', 'bind: "loopback"'));
  });

  it("removes a member with its comma and line, keeping neighbours' comments", () => {
    const out = applyConfigEdits(JSON5_TEXT, [{ op: "remove", path: ["gateway", "bind"] }]);
    expect(out).toContain("port: 18789, // fixed by the firewall\n    auth:");
    expect(parse5(out).gateway).toEqual({
      port: 18789,
      auth: { mode: "token", token: "abc" },
    });
  });

  it("removes the last member of an object without leaving a stray comma", () => {
    const out = applyConfigEdits('{\n  "a": 1,\n  "b": 2\n}\n', [{ op: "remove", path: ["b"] }]);
    expect(out).toBe('{\n  "a": 1\n}\n');
    expect(JSON.parse(out)).toEqual({ a: 1 });
  });

  it("creates missing objects on the way, indented like their neighbours", () => {
    const out = applyConfigEdits(JSON5_TEXT, [
      {
        op: "set",
        path: ["models", "providers", "openai"],
        value: { apiKey: "${OPENAI_API_KEY}" },
      },
      { op: "set", path: ["gateway", "controlUi", "enabled"], value: false },
    ]);
    const value = parse5(out);
    expect(value.models).toEqual({ providers: { openai: { apiKey: "${OPENAI_API_KEY}" } } });
    expect(value.gateway?.controlUi).toEqual({ enabled: false });
    expect(out.startsWith("// gateway of the support bot\n")).toBe(true);
    expect(out).toContain("    controlUi: {\n      enabled: false\n    },");
    expect(out).toContain("  models: {\n    providers: {\n      openai: {\n");
  });

  it("writes quoted keys into a plain JSON file so that it stays JSON", () => {
    const out = applyConfigEdits('{\n  "gateway": {\n    "port": 1\n  }\n}\n', [
      { op: "set", path: ["gateway", "bind"], value: "loopback" },
    ]);
    expect(JSON.parse(out)).toEqual({ gateway: { port: 1, bind: "loopback" } });
  });

  it("inserts into an inline object and into an empty one", () => {
    const out = applyConfigEdits("{ a: { b: 1 }, c: {} }", [
      { op: "set", path: ["a", "d"], value: 2 },
      { op: "set", path: ["c", "e"], value: "x" },
    ]);
    expect(parse5(out)).toEqual({ a: { b: 1, d: 2 }, c: { e: "x" } });
  });

  it("is idempotent: the same edit twice gives the same text", () => {
    const edits = [{ op: "set" as const, path: ["gateway", "bind"], value: "loopback" }];
    const once = applyConfigEdits(JSON5_TEXT, edits);
    expect(applyConfigEdits(once, edits)).toBe(once);
  });
});
