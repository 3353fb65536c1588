import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import type { Principal } from "../core/access.js";
import { ON_BEHALF_HEADER } from "../hosts/fleet-hosts.js";
import { actorOf, callerOf } from "./client.js";

const principal = (kind: Principal["kind"], name: string) =>
  ({ kind, name, id: `${kind}-1`, org: "default", role: "owner" }) as Principal;
const request = (who: Principal | null, behalf?: string) =>
  ({
    id: "req-1",
    principal: who,
    headers: behalf === undefined ? {} : { [ON_BEHALF_HEADER]: behalf },
  }) as unknown as FastifyRequest;

describe("who acts", () => {
  it("names whom a relaying daemon acts for, with the local credential only", () => {
    expect(callerOf(request(principal("local", "local-x"), "telegram:-1001"))).toBe(
      "telegram:-1001",
    );
    expect(actorOf(request(principal("local", "local-x"), "telegram:42"))).toBe(
      "telegram:42#req-1",
    );
    // Anyone else naming someone is who they are.
    expect(callerOf(request(principal("token", "ci"), "telegram:42"))).toBe("token:ci");
    expect(callerOf(request(principal("user", "alice"), "user:root"))).toBe("user:alice");
    // A malformed name is not taken.
    expect(callerOf(request(principal("local", "local-x"), "telegram:42\nforged"))).toBe("cli");
    expect(callerOf(request(principal("local", "local-x"), ""))).toBe("cli");
    expect(callerOf(request(null, "telegram:42"))).toBeNull();
    expect(actorOf(request(null))).toBe("api#req-1");
  });
});
