import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/src/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-witness.ts"],
    // Generous: under CI's load a CLI run takes seconds and a gateway boots in up to 40 s.
    // Speed is measured in bench/, not by these timeouts.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real gateways are heavy: at most a few test files run at once.
    maxWorkers: 3,
    reporters: ["default"],
  },
});
