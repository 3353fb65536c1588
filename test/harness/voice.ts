import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

/**
 * Local stand-ins for a voice pipeline's servers, each at its wire protocol
 * only: OpenAI-compatible speech-to-text (`POST /v1/audio/transcriptions`,
 * multipart) and text-to-speech (`POST /v1/audio/speech`, JSON in, audio
 * out), and a WebRTC signalling WebSocket that answers a join. Each has a
 * `mode` a test switches to show the readiness check's failing state.
 */

/** What a WAV's header says, or why it is not one. */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataBytes: number;
  seconds: number;
}

/** Parses a RIFF/WAVE file's `fmt ` and `data` chunks; throws when it is not a PCM WAV. */
export function parseWav(buffer: Buffer): WavInfo {
  if (buffer.toString("latin1", 0, 4) !== "RIFF" || buffer.toString("latin1", 8, 12) !== "WAVE")
    throw new Error("not a RIFF/WAVE file");
  let offset = 12;
  let fmt: { channels: number; sampleRate: number; bitsPerSample: number } | null = null;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString("latin1", offset, offset + 4);
    let size = buffer.readUInt32LE(offset + 4);
    if (id === "fmt ") {
      if (buffer.readUInt16LE(offset + 8) !== 1) throw new Error("not PCM");
      fmt = {
        channels: buffer.readUInt16LE(offset + 10),
        sampleRate: buffer.readUInt32LE(offset + 12),
        bitsPerSample: buffer.readUInt16LE(offset + 22),
      };
    }
    if (id === "data") {
      if (!fmt) throw new Error("data before fmt");
      // espeak-ng writing to a file patches the sizes; a streamed WAV says 0x7fffffff.
      if (size === 0 || size > buffer.length - offset - 8) size = buffer.length - offset - 8;
      const bytesPerSecond = fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8);
      return { ...fmt, dataBytes: size, seconds: size / bytesPerSecond };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error("no data chunk");
}

/** A mono 16-bit PCM WAV of a 440 Hz tone. */
export function toneWav(seconds: number, sampleRate = 16_000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const out = Buffer.alloc(44 + samples * 2);
  out.write("RIFF", 0, "latin1");
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write("WAVEfmt ", 8, "latin1");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "latin1");
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1)
    out.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), 44 + i * 2);
  return out;
}

/** The parts of a multipart/form-data body: name, filename, content type and bytes. */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { name: string; filename?: string; type?: string; data: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new Error("no multipart boundary");
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // CRLF after the delimiter, before the next
    const split = part.indexOf("\r\n\r\n");
    const head = part.toString("utf8", 0, split);
    const disposition =
      /content-disposition:[^\r\n]*?;\s*name="([^"]*)"(?:;\s*filename="([^"]*)")?/i.exec(head);
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    if (disposition)
      parts.push({
        name: disposition[1]!,
        ...(disposition[2] !== undefined ? { filename: disposition[2] } : {}),
        ...(type ? { type } : {}),
        data: part.subarray(split + 4),
      });
    start = next;
  }
  return parts;
}

export interface VoiceServers {
  /** `http://127.0.0.1:PORT/v1`: the STT and TTS API base. */
  apiBase: string;
  /** `ws://127.0.0.1:PORT/signal` */
  signallingUrl: string;
  /** `ok` transcribes a valid WAV of 1 s or more; `wrong` answers another text; `slow` answers after `slowMs`. */
  stt: {
    mode: "ok" | "wrong" | "slow";
    slowMs: number;
    requests: { model: string; wav: WavInfo | null; auth: string | undefined }[];
  };
  /** `ok` returns a WAV; `html` a page with 200 (a proxy's); `silent` 100 bytes of audio. */
  tts: {
    mode: "ok" | "html" | "silent";
    requests: { model: string; voice: string; input: string }[];
  };
  /** `ok` answers `{"type":"joined"}` to a join; `mute` accepts and never answers. */
  signalling: { mode: "ok" | "mute" };
  close(): Promise<void>;
}

/** Starts the three servers on loopback, STT and TTS on one HTTP port like a real OpenAI-compatible server. */
export async function startVoiceServers(options: { transcript: string }): Promise<VoiceServers> {
  const state: Omit<VoiceServers, "apiBase" | "signallingUrl" | "close"> = {
    stt: { mode: "ok", slowMs: 4_000, requests: [] },
    tts: { mode: "ok", requests: [] },
    signalling: { mode: "ok" },
  };
  const http: Server = createServer((request, response) => {
    void handle(request).then(
      ({ status, type, body }) => {
        response.writeHead(status, { "content-type": type });
        response.end(body);
      },
      (error: Error) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: error.message } }));
      },
    );
  });
  const json = (status: number, value: unknown) => ({
    status,
    type: "application/json",
    body: JSON.stringify(value),
  });
  async function handle(request: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (request.method === "POST" && request.url === "/v1/audio/transcriptions") {
      const parts = parseMultipart(body, request.headers["content-type"] ?? "");
      const file = parts.find((p) => p.name === "file");
      const model = parts.find((p) => p.name === "model")?.data.toString() ?? "";
      let wav: WavInfo | null = null;
      try {
        wav = file ? parseWav(file.data) : null;
      } catch {
        wav = null;
      }
      state.stt.requests.push({ model, wav, auth: request.headers.authorization });
      // A fixed transcription, but only of what could hold the sentence: a real WAV of a second or more.
      if (!wav || wav.seconds < 1)
        return json(400, { error: { message: "file: expected a WAV of speech" } });
      if (state.stt.mode === "slow") await new Promise((r) => setTimeout(r, state.stt.slowMs));
      return json(200, {
        text: state.stt.mode === "wrong" ? "Thank you for watching." : options.transcript,
      });
    }
    if (request.method === "POST" && request.url === "/v1/audio/speech") {
      const input = JSON.parse(body.toString()) as { model: string; voice: string; input: string };
      state.tts.requests.push({ model: input.model, voice: input.voice, input: input.input });
      if (!input.input) return json(400, { error: { message: "input is required" } });
      if (state.tts.mode === "html")
        return {
          status: 200,
          type: "text/html",
          body: "<html><body>Welcome to nginx!</body></html>",
        };
      const audio = state.tts.mode === "silent" ? toneWav(0.003) : toneWav(1.2);
      return { status: 200, type: "audio/wav", body: audio };
    }
    return json(404, { error: { message: `no route ${request.method} ${request.url}` } });
  }
  const signalling = new WebSocketServer({ server: http, path: "/signal" });
  signalling.on("connection", (socket) => {
    socket.on("message", (data: Buffer) => {
      if (state.signalling.mode === "mute") return;
      const message = JSON.parse(data.toString()) as { type?: string; room?: string };
      if (message.type === "join")
        socket.send(JSON.stringify({ type: "joined", room: message.room ?? null, peers: 0 }));
      else socket.send(JSON.stringify({ type: "error", message: "unknown type" }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    ...state,
    apiBase: `http://127.0.0.1:${port}/v1`,
    signallingUrl: `ws://127.0.0.1:${port}/signal`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of signalling.clients) client.terminate();
        signalling.close(() => http.close(() => resolve()));
        http.closeAllConnections();
      }),
  };
}
