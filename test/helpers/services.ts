/**
 * The external services a suite needs. Outside CI a missing one skips the
 * suite (with a visible reason); under CI=true it fails: CI must never pass
 * by skipping.
 */
export function serviceUrl(envName: string, what: string): string | undefined {
  const value = process.env[envName];
  if (value) return value;
  if (process.env.CI === "true") {
    throw new Error(
      `${what} is required under CI=true but ${envName} is not set; run the tests with "npm run test:all"`,
    );
  }
  console.warn(
    `skipping ${what} tests: ${envName} is not set (run "npm run test:all" to start the services)`,
  );
  return undefined;
}
