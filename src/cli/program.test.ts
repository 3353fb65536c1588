import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { REGISTRARS, buildProgram, commandOf } from "./program.js";

describe("the clawops program", () => {
  it("knows which registrar adds each command, as the registrars really add them", async () => {
    for (const registrar of REGISTRARS) {
      const program = new Command("clawops");
      (await registrar.load())(program);
      const added = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      expect(added, registrar.commands.join(",")).toEqual(registrar.commands);
    }
    const names = REGISTRARS.flatMap((r) => r.commands);
    expect(new Set(names).size).toBe(names.length);
  });

  it("loads only the registrar of the command a run names, and all of them otherwise", async () => {
    const top = async (...words: string[]) =>
      (await buildProgram(["node", "clawops", ...words])).commands.map((c) => c.name());
    expect(await top("--config", "x.yaml", "--json", "status")).toEqual(["status"]);
    expect(await top("-c", "status", "cost", "--bot", "a")).toEqual([
      "sessions",
      "session",
      "cost",
    ]);
    const all = REGISTRARS.flatMap((r) => r.commands);
    for (const words of [[], ["help", "status"], ["stauts"], ["--", "status"], ["-V"]])
      expect(await top(...words), words.join(" ")).toEqual(all);
  });

  it("takes the first word that is not a program option as the command", () => {
    expect(commandOf(["node", "clawops", "bot", "start", "x"])).toBe("bot");
    expect(commandOf(["node", "clawops", "--config", "bot", "status"])).toBe("status");
    expect(commandOf(["node", "clawops", "--config=bot", "up"])).toBe("up");
    expect(commandOf(["node", "clawops", "--json"])).toBeNull();
  });
});
