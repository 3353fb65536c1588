import type { JsonPath } from "../core/finding.js";
import { valueAt } from "./config-document.js";
import { asRecord } from "./rule.js";

/**
 * Where an OpenClaw 2026.9 config names models (`provider/model`), and which
 * provider each one needs a credential for. `openclaw models status` checks
 * only one agent's primary, fallbacks and image model; this walks them all.
 */
export interface ModelRef {
  path: JsonPath;
  /** As written. */
  ref: string;
  provider: string;
  model: string;
  /** Written without `provider/`: resolved by alias, a unique configured match, or OpenClaw's default `openai`. */
  resolvedBy: "written" | "alias" | "configured" | "default-provider";
}

/** OpenClaw's provider for a bare model id that matches nothing (2026.9: DEFAULT_PROVIDER). */
export const DEFAULT_PROVIDER = "openai";

/** `model` fields that take `"p/m"` or `{primary, fallbacks}`, relative to an agent block. */
const AGENT_MODEL_FIELDS: readonly JsonPath[] = [
  ["model"],
  ["subagents", "model"],
  ["tools", "exec", "reviewer", "model"],
];
/** Fields only `agents.defaults` has. */
const DEFAULTS_ONLY_FIELDS: readonly JsonPath[] = [
  ["imageModel"],
  ["pdfModel"],
  ["voiceModel"],
  ["mediaModels", "image"],
  ["mediaModels", "video"],
  ["mediaModels", "music"],
  ["compaction", "model"],
  ["compaction", "memoryFlush", "model"],
];
/** Plain-string fields of an agent block. */
const AGENT_STRING_FIELDS: readonly JsonPath[] = [
  ["utilityModel"],
  ["decisionModel"],
  ["heartbeat", "model"],
  ["tts", "summaryModel"],
];

/** Every model reference of the config, with the provider it resolves to. */
export function collectModelRefs(config: Record<string, unknown>): ModelRef[] {
  const written: { path: JsonPath; ref: string }[] = [];
  const agents = asRecord(config.agents) ?? {};
  const blocks: { base: JsonPath; block: unknown; defaults: boolean }[] = [
    { base: ["agents", "defaults"], block: agents.defaults, defaults: true },
    ...Object.entries(asRecord(agents.entries) ?? {}).map(([id, block]) => ({
      base: ["agents", "entries", id] as JsonPath,
      block,
      defaults: false,
    })),
    ...(Array.isArray(agents.list)
      ? (agents.list as unknown[]).map((block, i) => ({
          base: ["agents", "list", i] as JsonPath,
          block,
          defaults: false,
        }))
      : []),
  ];
  for (const { base, block, defaults } of blocks) {
    const fields = defaults ? [...AGENT_MODEL_FIELDS, ...DEFAULTS_ONLY_FIELDS] : AGENT_MODEL_FIELDS;
    for (const field of fields) collectModelField(block, [...base], field, written);
    for (const field of AGENT_STRING_FIELDS) {
      const value = valueAt(block, field);
      if (typeof value === "string" && value !== "")
        written.push({ path: [...base, ...field], ref: value });
    }
  }
  collectModelField(config, [], ["tools", "exec", "reviewer", "model"], written);
  const tts = valueAt(config, ["tts", "summaryModel"]);
  if (typeof tts === "string" && tts) written.push({ path: ["tts", "summaryModel"], ref: tts });
  const hooks = asRecord(config.hooks) ?? {};
  if (Array.isArray(hooks.mappings))
    hooks.mappings.forEach((mapping, i) => {
      const model = asRecord(mapping)?.model;
      if (typeof model === "string" && model)
        written.push({ path: ["hooks", "mappings", i, "model"], ref: model });
    });
  const gmail = valueAt(hooks, ["gmail", "model"]);
  if (typeof gmail === "string" && gmail)
    written.push({ path: ["hooks", "gmail", "model"], ref: gmail });
  for (const [channel, peers] of Object.entries(
    asRecord(valueAt(config, ["channels", "modelByChannel"])) ?? {},
  ))
    for (const [peer, ref] of Object.entries(asRecord(peers) ?? {}))
      if (typeof ref === "string" && ref)
        written.push({ path: ["channels", "modelByChannel", channel, peer], ref });
  return written.map(({ path, ref }) => resolveModelRef(config, path, ref));
}

/** Splits `provider/model[@profile]`; a bare id goes through aliases, then configured providers, then the default. */
export function resolveModelRef(
  config: Record<string, unknown>,
  path: JsonPath,
  ref: string,
): ModelRef {
  const bare = ref.replace(/@[^/@]+$/, "");
  const slash = bare.indexOf("/");
  if (slash > 0)
    return {
      path,
      ref,
      provider: bare.slice(0, slash),
      model: bare.slice(slash + 1),
      resolvedBy: "written",
    };
  const aliases = asRecord(valueAt(config, ["agents", "defaults", "models"])) ?? {};
  for (const [key, entry] of Object.entries(aliases)) {
    if (asRecord(entry)?.alias === bare && key.includes("/")) {
      const [provider, ...model] = key.split("/");
      return { path, ref, provider: provider!, model: model.join("/"), resolvedBy: "alias" };
    }
  }
  const providers = asRecord(valueAt(config, ["models", "providers"])) ?? {};
  const matches = Object.entries(providers).filter(([, p]) => {
    const models = asRecord(p)?.models;
    return Array.isArray(models) && models.some((m) => asRecord(m)?.id === bare);
  });
  if (matches.length === 1)
    return { path, ref, provider: matches[0]![0], model: bare, resolvedBy: "configured" };
  return { path, ref, provider: DEFAULT_PROVIDER, model: bare, resolvedBy: "default-provider" };
}

function collectModelField(
  block: unknown,
  base: JsonPath,
  field: JsonPath,
  out: { path: JsonPath; ref: string }[],
) {
  const value = valueAt(block, field);
  const path = [...base, ...field];
  if (typeof value === "string" && value) out.push({ path, ref: value });
  const record = asRecord(value);
  if (!record) return;
  if (typeof record.primary === "string" && record.primary)
    out.push({ path: [...path, "primary"], ref: record.primary });
  if (Array.isArray(record.fallbacks))
    record.fallbacks.forEach((ref, i) => {
      if (typeof ref === "string" && ref) out.push({ path: [...path, "fallbacks", i], ref });
    });
}

/**
 * The environment variables each bundled provider reads its key from
 * (OpenClaw 2026.9.6, `dist/extensions/<id>/openclaw.plugin.json`). Other
 * providers: `<ID>_API_KEY`.
 */
export const PROVIDER_ENV_VARS: Readonly<Record<string, readonly string[]>> = {
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY", "ANTHROPIC_OAUTH_TOKEN"],
  xai: ["XAI_API_KEY"],
  google: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
  "google-vertex": ["GOOGLE_CLOUD_API_KEY"],
  openrouter: ["OPENROUTER_API_KEY"],
  alibaba: ["MODELSTUDIO_API_KEY", "DASHSCOPE_API_KEY", "QWEN_API_KEY"],
  together: ["TOGETHER_API_KEY"],
  minimax: ["MINIMAX_CODE_PLAN_KEY", "MINIMAX_CODING_API_KEY", "MINIMAX_API_KEY"],
  "microsoft-foundry": ["AZURE_OPENAI_API_KEY"],
  "github-copilot": ["COPILOT_GITHUB_TOKEN"],
  huggingface: ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"],
  litellm: ["LITELLM_API_KEY"],
  lmstudio: ["LM_API_TOKEN"],
  nvidia: ["NVIDIA_API_KEY"],
  ollama: ["OLLAMA_API_KEY"],
  vllm: ["VLLM_API_KEY"],
  sglang: ["SGLANG_API_KEY"],
};

export function providerEnvVars(provider: string): readonly string[] {
  if (Object.hasOwn(PROVIDER_ENV_VARS, provider)) return PROVIDER_ENV_VARS[provider]!;
  return [`${provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_API_KEY`];
}
