// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const ENTRY = ["src/cli/**", "src/http/**", "src/daemon/**"];
const CORE = ["src/core/**"];
const SHARED = ["src/gateway/**", "src/system/**"];
const PLUGINS = [
  "src/drivers/**",
  "src/checks/**",
  "src/notifiers/**",
  "src/store/**",
  "src/doctor/rules/**",
];
const ENTRY_ONLY = {
  regex: "(^|/)(cli|http|daemon)/",
  message: "only cli/, http/ and daemon/ (the composition root) import the entry points",
};
const CORE_ONLY = {
  regex: "^\\.\\./",
  message: "core/ is the bottom layer: it imports nothing of clawops outside core/",
};
const SHARED_ONLY = {
  regex: "^\\.\\./(?!core/|system/|gateway/)",
  message: "gateway/ and system/ are shared helpers: they import only core/, system/ and gateway/",
};
const PLUGIN_ONLY = {
  regex: "(^|/)(supervisor|repair|provision|fleet|runtime|events)/",
  message:
    "plugin folders (drivers, checks, notifiers, store, doctor rules) import only core/ and the shared helpers",
};

/** Files of `files` (but not `ignores`) may not import what `patterns` match. */
function layer(files, ignores, patterns) {
  return {
    files,
    // Tests may reach for the test helpers.
    ignores: [
      ...ignores.filter((glob) => !files.includes(glob)),
      "**/*.test.ts",
      "**/*.contract.ts",
    ],
    rules: { "no-restricted-imports": ["error", { patterns }] },
  };
}

export default tseslint.config(
  // bench/artillery: the peer load tool's own CommonJS processor, run by Artillery, not clawops.
  {
    ignores: [
      "dist/",
      "node_modules/",
      "coverage/",
      "web/dist/",
      "bin/",
      "test/fixtures/",
      "bench/artillery/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/require-await": "off",
      "no-console": "error",
    },
  },
  {
    // Only the CLI, the benchmarks and test helpers print.
    files: ["src/cli/**", "bench/**", "test/**", "scripts/**"],
    rules: { "no-console": "off" },
  },
  // Layering (docs/architecture.md): cli/ and http/ are the entry points and daemon/
  // composes; core/ is the bottom; gateway/ and system/ are shared helpers; plugin
  // folders stay off capabilities. One object per folder group: ESLint keeps only the
  // last options of a rule for a file, so each group lists every pattern it obeys.
  layer(["src/**"], [...ENTRY, ...CORE, ...SHARED, ...PLUGINS], [ENTRY_ONLY]),
  layer(CORE, [], [ENTRY_ONLY, CORE_ONLY]),
  layer(SHARED, [], [ENTRY_ONLY, SHARED_ONLY]),
  layer(PLUGINS, [], [ENTRY_ONLY, PLUGIN_ONLY]),
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
