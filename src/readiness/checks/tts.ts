import { z } from "zod";
import { duration } from "../../core/duration.js";
import { apiKeyFrom, componentSchema, defineCheck, envName, httpUrl } from "../check.js";
import { failureText, shownUrl } from "../redact.js";

const schema = componentSchema(
  "tts",
  { weight: 1, timeout: "30s" },
  {
    /** The OpenAI-compatible API's base, ending in `/v1`: `{url}/audio/speech` is posted to. */
    url: httpUrl,
    model: z.string().min(1).default("tts-1"),
    voice: z.string().min(1).default("alloy"),
    /** `response_format`, when set (`wav`, `mp3`, `opus`...). */
    format: z.string().min(1).optional(),
    apiKeyEnv: envName.optional(),
    input: z.string().min(1).max(500).default("Your gateway is ready."),
    /** Fewer bytes of audio than this is not speech. */
    minBytes: z.number().int().min(1).default(2_000),
    /** Slower than this (request to the last byte) is a warning. */
    maxMs: duration("3s"),
  },
);

/** Text-to-speech over the OpenAI-compatible `/v1/audio/speech` API: audio comes back, enough of it, in time. */
export const tts = defineCheck({
  id: "tts",
  title: "Text-to-speech",
  schema,
  target: (config) => `${shownUrl(config.url).replace(/\/+$/, "")}/audio/speech`,
  async run(config, deps, signal) {
    const apiKey = apiKeyFrom(config.apiKeyEnv, deps.env);
    if ("missing" in apiKey) return apiKey.missing;
    const key = apiKey.key;
    const endpoint = `${config.url.replace(/\/+$/, "")}/audio/speech`;
    const started = performance.now();
    let status: number;
    let type: string;
    let audio: Buffer;
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({
          model: config.model,
          voice: config.voice,
          input: config.input,
          ...(config.format ? { response_format: config.format } : {}),
        }),
      });
      status = response.status;
      type = response.headers.get("content-type") ?? "";
      audio = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      return {
        status: "fail",
        summary: `${shownUrl(endpoint)} does not answer: ${failureText(error)}`,
        fix: "is the text-to-speech server running at url (its base ends in /v1)?",
      };
    }
    const speechMs = Math.round(performance.now() - started);
    const timings = { speechMs };
    const evidence = {
      httpStatus: status,
      contentType: type,
      model: config.model,
      voice: config.voice,
    };
    if (status !== 200) {
      return {
        status: "fail",
        summary: `HTTP ${status}: ${audio.toString("utf8", 0, 160)}`,
        evidence,
        fix:
          status === 401 || status === 403
            ? "the key is refused: check the variable named in apiKeyEnv"
            : "see the server's log; model and voice must exist there",
        timings,
      };
    }
    if (!/^audio\//i.test(type) && !looksLikeAudio(audio)) {
      return {
        status: "fail",
        summary: `the answer is ${type || "untyped"}, not audio`,
        evidence,
        fix: "url must be the speech API's base (…/v1); a proxy may be answering with a page",
        timings,
      };
    }
    if (audio.length < config.minBytes) {
      return {
        status: "fail",
        summary: `only ${audio.length} bytes of audio, under ${config.minBytes}`,
        evidence,
        fix: "the server returned (nearly) silence: check the voice and the server's log",
        timings,
      };
    }
    if (speechMs > config.maxMs) {
      return {
        status: "warn",
        summary: `spoke, but slower than the ${config.maxMs} ms target`,
        evidence,
        fix: "a faster voice model, streaming output, or a server closer to the gateway",
        timings,
      };
    }
    return {
      status: "pass",
      summary: `returned ${/wav/i.test(type) || audio.subarray(0, 4).toString() === "RIFF" ? "WAV " : ""}audio within ${config.maxMs} ms`,
      evidence: { ...evidence, bytes: audio.length },
      timings,
    };
  },
});

/** RIFF/WAVE, Ogg, ID3 or an MPEG frame: audio whatever the content type says. */
function looksLikeAudio(body: Buffer): boolean {
  const head = body.subarray(0, 4).toString("latin1");
  return (
    head === "RIFF" ||
    head === "OggS" ||
    head.startsWith("ID3") ||
    (body[0] === 0xff && ((body[1] ?? 0) & 0xe0) === 0xe0)
  );
}
