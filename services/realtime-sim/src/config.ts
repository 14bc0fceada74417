import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '@voxbus/shared';

export const SimConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'WebSocket port (0 = any free port)' }),
    apiKey: Type.String({ minLength: 1, secret: true, description: 'the key (or Entra token) the sim accepts, as the real endpoints check theirs' }),
    voice: StringEnum(['auto', 'espeak-ng', 'synthetic'], { description: 'auto: espeak-ng when installed, else a synthetic signal' }),
    realtimeFactor: Type.Number({ minimum: 1, maximum: 100, description: 'how many times faster than real time assistant audio is streamed' }),
    deltaMs: Type.Integer({ minimum: 10, maximum: 1000, description: 'audio per response.output_audio.delta' }),
    sessionMaxMs: Type.Integer({ minimum: 1000, description: 'session cap (the real one is 60 minutes)' }),
    replyTemplate: Type.String({ description: '{seconds}: how long the user spoke; {text}: what the user typed' }),
    spokenTurnTool: Type.String({
      description: 'when the session declares a function tool of this name, a spoken turn calls it (typed turns call a tool they name)',
    }),
    tls: Type.Boolean({ description: 'serve wss:// (the official SDKs speak nothing else)' }),
    tlsCertFile: Type.String({ description: 'PEM certificate for wss://; empty with tlsKeyFile empty: a self-signed one for localhost and 127.0.0.1 is made at start' }),
    tlsKeyFile: Type.String({ description: 'PEM private key for tlsCertFile' }),
    tlsCertOut: Type.String({ description: 'where the made certificate is written, for clients to trust (the gateway\'s tlsCaFile); empty: not written' }),
  },
  { additionalProperties: false },
);

export type SimConfig = Static<typeof SimConfigSchema>;

export const SIM_DEFAULTS: SimConfig = {
  host: '127.0.0.1',
  port: 8765,
  apiKey: 'voxbus-sim',
  voice: 'auto',
  realtimeFactor: 4,
  deltaMs: 100,
  sessionMaxMs: 60 * 60_000,
  replyTemplate: 'You spoke for {seconds} seconds.',
  spokenTurnTool: '',
  tls: false,
  tlsCertFile: '',
  tlsKeyFile: '',
  tlsCertOut: '',
};

/** The reply for a turn, from the template. */
export function replyFromTemplate(template: string, spokenMs: number, userText: string | undefined, toolOutput?: string): string {
  if (toolOutput !== undefined) return `The tool answered: ${toolOutput}`;
  if (userText) return `You wrote: ${userText}`;
  return template.replace('{seconds}', (spokenMs / 1000).toFixed(1)).replace('{text}', '');
}
