import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { duration } from "../../core/duration.js";
import { apiKeyFrom, componentSchema, defineCheck, envName, httpUrl } from "../check.js";
import { failureText, shownUrl } from "../redact.js";

const run = promisify(execFile);

const schema = componentSchema(
  "stt",
  { weight: 1, timeout: "30s" },
  {
    /** The OpenAI-compatible API's base, ending in `/v1`: `{url}/audio/transcriptions` is posted to. */
    url: httpUrl,
    model: z.string().min(1).default("whisper-1"),
    /** The variable holding the API key (sent as a bearer token). */
    apiKeyEnv: envName.optional(),
    /** What the sample says (spoken with espeak-ng). */
    sentence: z.string().min(1).max(500).default("The quick brown fox jumps over the lazy dog."),
    /** Words the transcription must contain (case-insensitive); default: the sentence's words of 4+ letters. */
    expectWords: z.array(z.string().min(1)).optional(),
    /** A WAV file to send instead of the spoken sentence (then `expectWords` is needed). */
    sampleFile: z.string().min(1).optional(),
    /** `language` sent with the request (ISO 639-1), when set. */
    language: z.string().min(2).max(8).optional(),
    /** The voice pipeline's target: a transcription slower than this is a warning. */
    maxMs: duration("3s"),
  },
);

/**
 * Speech-to-text over the OpenAI-compatible `/v1/audio/transcriptions` API:
 * a spoken sample comes back as text with its key words, within `maxMs`.
 */
export const stt = defineCheck({
  id: "stt",
  title: "Speech-to-text",
  schema,
  target: (config) => `${shownUrl(config.url).replace(/\/+$/, "")}/audio/transcriptions`,
  async run(config, deps, signal) {
    const expected = config.expectWords ?? keyWords(config.sentence);
    let wav: Buffer;
    try {
      wav = config.sampleFile
        ? await readFile(config.sampleFile)
        : await speak(config.sentence, deps.scratchDir, signal);
    } catch (error) {
      return {
        status: "fail",
        summary: `no spoken sample: ${failureText(error)}`,
        fix: config.sampleFile
          ? "sampleFile names a WAV file clawops can read"
          : "install espeak-ng (apt-get install espeak-ng), or give a WAV in sampleFile with its expectWords",
      };
    }
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "sample.wav");
    form.append("model", config.model);
    form.append("response_format", "json");
    if (config.language) form.append("language", config.language);
    const apiKey = apiKeyFrom(config.apiKeyEnv, deps.env);
    if ("missing" in apiKey) return apiKey.missing;
    const key = apiKey.key;
    const endpoint = `${config.url.replace(/\/+$/, "")}/audio/transcriptions`;
    const started = performance.now();
    let status: number;
    let body: string;
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        body: form,
        signal,
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      return {
        status: "fail",
        summary: `${shownUrl(endpoint)} does not answer: ${failureText(error)}`,
        fix: "is the speech-to-text server running at url (its base ends in /v1)?",
      };
    }
    const transcribeMs = Math.round(performance.now() - started);
    const timings = { transcribeMs };
    if (status !== 200) {
      return {
        status: "fail",
        summary: `HTTP ${status}: ${body.slice(0, 160)}`,
        evidence: { httpStatus: status },
        fix:
          status === 401 || status === 403
            ? "the key is refused: check the variable named in apiKeyEnv"
            : status === 404
              ? "no transcriptions endpoint there: url is the API's base, ending in /v1"
              : "see the server's log; the model must exist (model)",
        timings,
      };
    }
    let text: string;
    try {
      const said = (JSON.parse(body) as { text?: unknown }).text;
      text = typeof said === "string" ? said : "";
    } catch {
      return {
        status: "fail",
        summary: `the answer is not JSON: ${body.slice(0, 120)}`,
        fix: 'an OpenAI-compatible server answers {"text": ...} for response_format json',
        timings,
      };
    }
    const said = text.toLowerCase();
    const missing = expected.filter((w) => !said.includes(w.toLowerCase()));
    const evidence = { model: config.model, transcript: text.trim().slice(0, 200) };
    if (missing.length > 0) {
      return {
        status: "fail",
        summary: `the transcript misses ${missing.join(", ")}`,
        evidence,
        fix: "the model does not understand the sample: check model and language, and that the server decodes 16-bit WAV",
        timings,
      };
    }
    if (transcribeMs > config.maxMs) {
      return {
        status: "warn",
        summary: `transcribed correctly, but slower than the ${config.maxMs} ms target`,
        evidence,
        fix: "a smaller or quantised model, a GPU, or a server closer to the gateway; the voice pipeline's budget is 3 s",
        timings,
      };
    }
    return {
      status: "pass",
      summary: `transcribed the sample correctly within ${config.maxMs} ms`,
      evidence,
      timings,
    };
  },
});

/** The sentence's words of four letters or more, lower case, each once. */
export function keyWords(sentence: string): string[] {
  return [...new Set(sentence.toLowerCase().match(/[a-z]{4,}/g) ?? [])];
}

/** The sentence as a WAV file, spoken by espeak-ng (argv only, never a shell). */
async function speak(sentence: string, dir: string, signal: AbortSignal): Promise<Buffer> {
  const file = path.join(dir, `stt-sample-${process.pid}-${Date.now()}.wav`);
  await run("espeak-ng", ["-w", file, "--", sentence], { signal, timeout: 20_000 });
  return readFile(file);
}
