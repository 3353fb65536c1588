import { describe, expect, it } from "vitest";
import { libpqEnv } from "./databases.js";

describe("libpqEnv", () => {
  it("moves every part of the URL into libpq's variables, the password decoded, none left for argv", () => {
    expect(
      libpqEnv(
        "postgres://ops%40acme:p%2Fss%3Aw0rd@db.example.com:6543/clawops?sslmode=verify-full",
      ),
    ).toEqual({
      PGHOST: "db.example.com",
      PGPORT: "6543",
      PGUSER: "ops@acme",
      PGPASSWORD: "p/ss:w0rd",
      PGDATABASE: "clawops",
      PGSSLMODE: "verify-full",
      PGCONNECT_TIMEOUT: "10",
    });
  });

  it("takes an IPv6 host without its brackets and leaves out what the URL does not say", () => {
    expect(libpqEnv("postgresql://[::1]/x")).toEqual({
      PGHOST: "::1",
      PGDATABASE: "x",
      PGCONNECT_TIMEOUT: "10",
    });
  });

  it("refuses what is not a URL without echoing it", () => {
    expect(() => libpqEnv("not a url with secret")).toThrow(/not a PostgreSQL URL/);
  });
});
