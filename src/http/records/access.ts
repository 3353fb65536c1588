import { z } from "zod";
import { ACCESS_NAME, ACCESS_NAME_HINT, ROLES, TOKEN_KINDS } from "../../core/access.js";

const name = z.string().regex(ACCESS_NAME, { error: ACCESS_NAME_HINT });
const role = z.enum(ROLES);

/** Who a request is (core/access.ts `Principal`). */
export const principalSchema = z.object({
  kind: z.enum(["user", "token", "local"]),
  id: z.string(),
  name: z.string(),
  org: z.string(),
  role,
});

/** A user as shown: never the password's hash. */
export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  org: z.string(),
  role,
  createdAt: z.string(),
});

/** An API token as shown: never its secret. */
export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  org: z.string(),
  role,
  kind: z.enum(TOKEN_KINDS),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

export const auditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  org: z.string().nullable(),
  method: z.string(),
  route: z.string(),
  target: z.string().nullable(),
  status: z.number(),
  requestId: z.string(),
  source: z.string(),
});

export const loginBodySchema = z
  .strictObject({ name: z.string().min(1).max(63), password: z.string().min(1).max(1024) })
  .meta({ title: "login" });

export const setupBodySchema = z
  .strictObject({
    token: z.string().min(1).max(200),
    name,
    password: z.string().min(12, { error: "at least 12 characters" }).max(1024),
  })
  .meta({ title: "first owner" });

export const newUserSchema = z
  .strictObject({
    name,
    password: z.string().min(12, { error: "at least 12 characters" }).max(1024),
    role,
    org: name.optional(),
  })
  .meta({ title: "user" });

export const newTokenSchema = z
  .strictObject({
    name,
    role,
    org: name.optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .meta({ title: "token" });
