import { type Static, Type } from '@sinclair/typebox';
import { CONVERSATION_MODES, StringEnum, VAD_SOURCES } from '@voxbus/shared';

export const ConversationConfigSchema = Type.Object(
  {
    mode: StringEnum(['auto', ...CONVERSATION_MODES], {
      description:
        '`auto`: full-duplex (barge-in by voice) while the dsp reports converged echo cancellation, half-duplex otherwise; `push-to-talk`: the ptt commands open and close each turn',
    }),
    vad: StringEnum([...VAD_SOURCES], {
      description: "whose VAD takes turns: the model's (server), the dsp's (local: turns end by commit), or both (the first to hear speech starts it; the server ends it)",
    }),
    tailMs: Type.Integer({ minimum: 0, maximum: 5000, description: 'half-duplex: the microphone stays muted this long after the reply has really drained (room echo)' }),
    bargeInMinMs: Type.Integer({ minimum: 0, maximum: 3000, description: 'full-duplex: speech over the reply must last this long to interrupt it (a cough does not)' }),
    bargeInPause: Type.Boolean({
      description:
        'full-duplex: pause the reply as soon as a voice starts over it, while the barge-in guard decides (the speaker is silent ~150 ms sooner; a cough the model hears costs a pause of up to ~450 ms, then the reply goes on where it stopped); false: it plays on until the guard decides',
    }),
    responseTimeoutMs: Type.Integer({ minimum: 1000, description: 'a turn with no response after this is given up (error earcon)' }),
    idleTimeoutMs: Type.Integer({ minimum: 0, description: 'no one speaking for this long ends the conversation (0: never)' }),
    pttCommitDelayMs: Type.Integer({ minimum: 0, maximum: 1000, description: 'push-to-talk: after release, audio still on its way is waited for this long before the commit' }),
    manualClearMs: Type.Integer({ minimum: 1000, description: 'local VAD: audio no turn used is cleared from the model’s input buffer this often' }),
    earcons: Type.Object(
      {
        listening: Type.Boolean({ description: 'a cue when a conversation starts or resumes (the microphone opens after it)' }),
        thinking: Type.Boolean({ description: 'a cue when a turn ends (off by default: it delays the reply, and in half-duplex the microphone is still open)' }),
        error: Type.Boolean({ description: 'a cue when the model cannot be reached or does not answer' }),
      },
      { additionalProperties: false },
    ),
    restoreWaitMs: Type.Integer({ minimum: 0, maximum: 5000, description: 'how long a restarted service waits for its last retained state' }),
  },
  { additionalProperties: false },
);

export type ConversationConfig = Static<typeof ConversationConfigSchema>;

export const CONVERSATION_DEFAULTS: ConversationConfig = {
  mode: 'auto',
  vad: 'server',
  tailMs: 300,
  bargeInMinMs: 150,
  bargeInPause: true,
  responseTimeoutMs: 15_000,
  idleTimeoutMs: 300_000,
  pttCommitDelayMs: 120,
  manualClearMs: 10_000,
  earcons: { listening: true, thinking: false, error: true },
  restoreWaitMs: 300,
};
