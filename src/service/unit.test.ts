import { describe, expect, it } from "vitest";
import {
  type ClawopsUnitInput,
  UNIT_MARKER,
  defaultServicePaths,
  renderClawopsUnit,
} from "./unit.js";

const base: ClawopsUnitInput = {
  scope: "system",
  node: "/usr/bin/node",
  cli: "/opt/clawops/bin/clawops.js",
  configFile: "/etc/clawops/clawops.yaml",
  workingDirectory: "/etc/clawops",
  readWritePaths: ["/var/lib/clawops"],
  envFile: "/etc/clawops/clawops.env",
  user: "clawops",
  stopTimeoutSec: 60,
};

const line = (unit: string, key: string) => unit.split("\n").filter((l) => l.startsWith(`${key}=`));

describe("renderClawopsUnit", () => {
  it("starts with the marker uninstall looks for and runs clawops up with absolute paths", () => {
    const unit = renderClawopsUnit(base);
    expect(unit.startsWith(UNIT_MARKER)).toBe(true);
    expect(line(unit, "ExecStart")).toEqual([
      "ExecStart=/usr/bin/node /opt/clawops/bin/clawops.js --config /etc/clawops/clawops.yaml up",
    ]);
    expect(line(unit, "User")).toEqual(["User=clawops"]);
    expect(line(unit, "ProtectHome")).toEqual(["ProtectHome=yes"]);
    expect(line(unit, "EnvironmentFile")).toEqual(["EnvironmentFile=-/etc/clawops/clawops.env"]);
    expect(line(unit, "WantedBy")).toEqual(["WantedBy=multi-user.target"]);
  });

  it("keeps home readable when clawops or its data live there, and quotes paths with spaces and %", () => {
    const unit = renderClawopsUnit({
      ...base,
      readWritePaths: ["/home/ops/clawops data", "/srv/100%"],
    });
    expect(line(unit, "ProtectHome")).toEqual(["ProtectHome=read-only"]);
    expect(line(unit, "ReadWritePaths")).toEqual([
      'ReadWritePaths="/home/ops/clawops data" "/srv/100%%"',
    ]);
  });

  it("a user unit has no User= and no ProtectHome=, and is wanted by default.target", () => {
    const unit = renderClawopsUnit({ ...base, scope: "user", user: null });
    expect(line(unit, "User")).toEqual([]);
    expect(line(unit, "ProtectHome")).toEqual([]);
    expect(line(unit, "PrivateTmp")).toEqual(["PrivateTmp=yes"]);
    expect(line(unit, "WantedBy")).toEqual(["WantedBy=default.target"]);
  });

  it("refuses a path with a line break (it would add a directive)", () => {
    expect(() =>
      renderClawopsUnit({ ...base, configFile: "/etc/x.yaml\nExecStartPre=/bin/sh" }),
    ).toThrow(/line break/);
  });

  it("puts user units under XDG_CONFIG_HOME", () => {
    expect(defaultServicePaths("user", { XDG_CONFIG_HOME: "/x" }, "/home/u")).toEqual({
      unitDir: "/x/systemd/user",
      envFile: "/x/clawops/clawops.env",
    });
    expect(defaultServicePaths("user", {}, "/home/u").unitDir).toBe("/home/u/.config/systemd/user");
  });
});
