import { OpsError } from "../core/errors.js";
import { providerEnvVars } from "../doctor/model-refs.js";
import { isLoopbackUrl } from "../doctor/rules/provider-credentials.js";

/**
 * The model providers `clawops bot create` sets up in one flag: a cloud
 * provider OpenClaw knows by name (its key from the provider's standard
 * variable), or a model server of the user's own: Ollama's native API, or
 * anything OpenAI-compatible (llama.cpp, vLLM, LM Studio, LiteLLM...).
 */
export const PROVIDER_CHOICES = [
  "anthropic",
  "openai",
  "openrouter",
  "google",
  "ollama",
  "openai-compatible",
] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

/** Models of the cloud providers when `--model` is not given (from OpenClaw 2026.9's provider docs). */
const DEFAULT_MODELS: Partial<Record<ProviderChoice, string>> = {
  anthropic: "claude-sonnet-4-6",
  openai: "gpt-5.5",
  openrouter: "auto",
  google: "gemini-3.1-pro-preview",
};

/** The provider id an OpenAI-compatible server gets in openclaw.json (`local/<model>`). */
export const COMPATIBLE_PROVIDER_ID = "local";
const OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434";

export interface ModelChoice {
  provider: ProviderChoice;
  model?: string;
  baseUrl?: string;
}

/** The config overlay for a choice: the default model, and the provider entry for a server of one's own. */
export function modelOverlay(choice: ModelChoice): Record<string, unknown> {
  const model = choice.model ?? DEFAULT_MODELS[choice.provider];
  if (!model) {
    throw new OpsError(
      "USAGE",
      `--provider ${choice.provider} needs --model: the id your server serves (e.g. llama3.2, qwen3:8b)`,
    );
  }
  if (choice.baseUrl && (choice.provider === "ollama" || choice.provider === "openai-compatible")) {
    checkBaseUrl(choice.baseUrl);
  } else if (choice.baseUrl) {
    throw new OpsError(
      "USAGE",
      `--base-url is for ollama and openai-compatible servers, not for ${choice.provider}`,
    );
  }
  const primary = (provider: string) => ({
    agents: { defaults: { model: { primary: `${provider}/${model}` } } },
  });
  switch (choice.provider) {
    case "openai-compatible": {
      if (!choice.baseUrl) {
        throw new OpsError(
          "USAGE",
          "--provider openai-compatible needs --base-url: the server's OpenAI API root, e.g. http://127.0.0.1:8080/v1",
        );
      }
      return {
        ...primary(COMPATIBLE_PROVIDER_ID),
        models: {
          providers: {
            [COMPATIBLE_PROVIDER_ID]: {
              baseUrl: choice.baseUrl,
              // A loopback server needs no key (OpenClaw trusts it; a marker would read as a
              // plaintext secret to OpenClaw's lint); a remote one gets LOCAL_API_KEY through
              // the credential store.
              api: "openai-completions",
              models: [modelEntry(model)],
            },
          },
        },
      };
    }
    case "ollama": {
      const baseUrl = choice.baseUrl ?? OLLAMA_DEFAULT_URL;
      if (/\/v1\/?$/.test(baseUrl)) {
        throw new OpsError(
          "USAGE",
          `--base-url ${baseUrl}: OpenClaw talks to Ollama's native API; leave out /v1 (it breaks tool calls), or use --provider openai-compatible`,
        );
      }
      return {
        ...primary("ollama"),
        models: {
          providers: {
            ollama: {
              baseUrl,
              ...(isLoopbackUrl(baseUrl) ? { apiKey: "ollama-local" } : {}),
              api: "ollama",
              models: [modelEntry(model)],
            },
          },
        },
      };
    }
    default:
      return primary(choice.provider);
  }
}

/**
 * The provider to use when none is named: the one whose key is set in the
 * environment (the first in the list when several are), else Anthropic, the
 * template's own.
 */
export function guessProvider(variables: NodeJS.ProcessEnv): ProviderChoice {
  const cloud = PROVIDER_CHOICES.filter((p) => DEFAULT_MODELS[p]);
  return cloud.find((p) => providerEnvVars(p).some((v) => variables[v])) ?? "anthropic";
}

function modelEntry(id: string) {
  return {
    id,
    name: id,
    reasoning: false,
    input: ["text"],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128000,
    maxTokens: 8192,
  };
}

function checkBaseUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OpsError("USAGE", `--base-url ${value} is not a URL (e.g. http://127.0.0.1:8080/v1)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OpsError("USAGE", `--base-url ${value}: expected http:// or https://`);
  }
}
