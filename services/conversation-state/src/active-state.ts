/** The active conversation's states, where turns are taken: listening ⇄ userSpeaking → waiting → assistantSpeaking (with barge-in) → (tail) → listening. */
import { and } from 'xstate';
import { conversationSetup } from './machine-setup.js';

export const activeState = conversationSetup.createStateConfig({
  entry: ['configureTurns'],
  on: {
    PAUSE: 'paused',
    END: 'ended',
    GATEWAY: [
      { guard: { type: 'gatewayIs', params: { state: 'reconnecting' } }, target: 'reconnecting' },
      { guard: { type: 'gatewayIs', params: { state: 'connecting' } }, target: 'reconnecting' },
      { guard: { type: 'gatewayIs', params: { state: 'idle' } }, target: 'ended' },
    ],
    // The gateway died: its retained state still says connected; it will say otherwise when it is back.
    SERVICE_LOST: { guard: 'gatewayLost', target: 'reconnecting' },
  },
  initial: 'starting',
  states: {
    /** Where a conversation (re)starts: mid-reply after a restart, with the cue, or straight to listening. */
    starting: {
      always: [
        { guard: 'restoredMidReply', target: 'assistantSpeaking', actions: 'assumeReplyStreamed' },
        { guard: 'listeningEarcon', target: 'listening.chime', actions: 'stopRestoring' },
        { target: 'listening', actions: 'stopRestoring' },
      ],
    },
    listening: {
      initial: 'open',
      always: [{ guard: 'finishRequested', target: '#conversation.ended' }],
      after: { idleTimeout: { guard: 'idleTimeoutOn', target: '#conversation.ended' } },
      on: {
        SPEECH_STARTED: { guard: 'startCounts', target: 'userSpeaking', actions: 'followVoices' },
        PTT_START: { guard: 'pushToTalk', target: 'userSpeaking' },
        // A response nobody spoke for (a typed question, a tool's continuation).
        RESPONSE_CREATED: { target: 'waiting', actions: ['newTurn', 'responseCreated'] },
        PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
      },
      states: {
        /** The cue plays with the microphone shut, so it cannot start a turn of its own. */
        chime: {
          entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic', { type: 'playEarcon', params: { name: 'listening' } }],
          on: { EARCON_DRAINED: 'open' },
          after: { chimeMax: 'open' },
        },
        open: {
          entry: [
            { type: 'allowMic', params: ({ context }) => ({ open: context.settings.mode !== 'push-to-talk' }) },
            'applyMic',
            'clearUnusedInput',
          ],
          after: { manualClear: { guard: 'manual', target: 'open', reenter: true } },
        },
      },
    },
    userSpeaking: {
      entry: ['newTurn', { type: 'allowMic', params: { open: true } }, 'applyMic'],
      on: {
        SPEECH_STOPPED: [
          { guard: and(['stopCounts', 'manual']), target: 'waiting', actions: ['followVoices', 'markSpeechStopped', 'commitInput'] },
          { guard: 'stopCounts', target: 'waiting', actions: ['followVoices', 'markSpeechStopped'] },
        ],
        PTT_STOP: { guard: 'pushToTalk', target: 'releasing', actions: 'markSpeechStopped' },
        // The model decided the turn ended before our VAD did (both: server ends turns).
        RESPONSE_CREATED: { target: 'waiting', actions: 'responseCreated' },
      },
    },
    /** Push-to-talk released: the microphone shuts, the audio on its way arrives, then the commit. */
    releasing: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
      after: { pttCommitDelay: { target: 'waiting', actions: 'commitInput' } },
    },
    waiting: {
      entry: [{ type: 'playEarcon', params: { name: 'thinking' } }],
      after: {
        responseTimeout: [
          // The model answered, and nothing of it was played (playback down, or its device gone): not a silent model.
          {
            guard: 'answeredUnplayed',
            target: 'listening',
            actions: ['notPlayedError', { type: 'reportTurn', params: { outcome: 'abandoned' } }, { type: 'playEarcon', params: { name: 'error' } }],
          },
          {
            target: 'listening',
            actions: ['noResponseError', { type: 'reportTurn', params: { outcome: 'no_response' } }, { type: 'playEarcon', params: { name: 'error' } }],
          },
        ],
      },
      on: {
        RESPONSE_CREATED: { actions: 'responseCreated' },
        RESPONSE_AUDIO: [
          // Half-duplex: shut the microphone when the reply's audio arrives, before the speaker
          // sounds; waiting for playback's started event let the reply's first echo reach the
          // model (it heard speech and the turn went on).
          { guard: 'halfDuplex', actions: ['responseAudio', { type: 'allowMic', params: { open: false } }, 'applyMic'] },
          { actions: 'responseAudio' },
        ],
        PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
        // Item events are QoS 0: a lost `started` would leave the turn waiting while the reply plays.
        PLAYBACK_POSITION: { guard: 'currentItem', target: 'assistantSpeaking', actions: 'startedByPosition' },
        RESPONSE_DONE: [
          { guard: 'responseFailed', target: 'listening', actions: ['responseDone', 'responseFailed', { type: 'reportTurn', params: { outcome: 'failed' } }] },
          // A tool was called: its answer brings another response; keep waiting for it.
          { guard: and(['responseWithoutAudio', 'toolPending']), actions: 'responseDone', reenter: true, target: 'waiting' },
          { guard: 'responseWithoutAudio', target: 'listening', actions: ['responseDone', { type: 'reportTurn', params: { outcome: 'no_response' } }] },
          { actions: 'responseDone' },
        ],
        // The person goes on talking before the reply is heard: it was not the end of the turn.
        SPEECH_STARTED: {
          guard: 'startCounts',
          target: 'userSpeaking',
          actions: ['followVoices', 'cancelResponse', 'flushPlayback', { type: 'reportTurn', params: { outcome: 'continued' } }],
        },
        PTT_START: { guard: 'pushToTalk', target: 'userSpeaking', actions: ['cancelResponse', 'flushPlayback', { type: 'reportTurn', params: { outcome: 'continued' } }] },
      },
    },
    assistantSpeaking: {
      entry: ['allowMicForMode', 'applyMic'],
      always: [
        { guard: and(['replyFinished', 'finishRequested']), target: '#conversation.ended', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
        { guard: and(['replyFinished', 'halfDuplex']), target: 'tail', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
        { guard: 'replyFinished', target: 'listening', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
      ],
      on: {
        RESPONSE_CREATED: [
          // A response after a tool call continues the turn; any other (the model's VAD heard
          // echo as speech) would talk over the reply: refuse it.
          { guard: 'toolPending', actions: 'responseCreated' },
          { guard: 'otherResponse', actions: 'cancelResponse' },
          { actions: 'responseCreated' },
        ],
        RESPONSE_AUDIO: { actions: 'responseAudio' },
        RESPONSE_DONE: { actions: 'responseDone' },
        // auto: convergence gained or lost mid-reply opens or shuts the model's input at once.
        DSP_STATE: [{ guard: 'modeChanges', actions: ['dspState', 'allowMicForMode', 'applyMic'] }, { actions: ['dspState', 'reconcileInput'] }],
        PLAYBACK_STARTED: { guard: 'assistantItem', target: '.playing', actions: 'playbackStarted' },
        PLAYBACK_POSITION: { guard: 'currentItem', target: '.playing', actions: 'position' },
        PLAYBACK_DRAINED: { guard: 'currentItem', target: '.quiet', actions: 'drained' },
        PLAYBACK_STATE: [
          { guard: 'playbackIdle', target: '.quiet', actions: ['playbackState', 'drainedByState'] },
          { guard: 'playbackGone', target: 'tail', actions: ['playbackState', { type: 'reportTurn', params: { outcome: 'abandoned' } }] },
          { actions: 'playbackState' },
        ],
        SERVICE_LOST: { guard: 'playbackGone', target: 'tail', actions: { type: 'reportTurn', params: { outcome: 'abandoned' } } },
        PLAYBACK_FLUSHED: { guard: 'currentItem', target: 'listening', actions: { type: 'reportTurn', params: { outcome: 'interrupted' } } },
      },
      initial: 'playing',
      states: {
        playing: {
          // Entered anew when a held reply goes on: what is heard moves on again.
          entry: 'releaseReply',
          on: {
            SPEECH_STARTED: [
              { guard: and(['startCounts', 'fullDuplex']), target: 'bargeIn', actions: ['followVoices', 'markBargeIn'] },
              // The model's voice has lasted the guard already; the dsp's now confirms it.
              { guard: and(['lateConfirmation', 'fullDuplex']), target: 'bargeIn.confirming', actions: ['followVoices', 'markBargeIn'] },
            ],
            VOICE_ONSET: { guard: and(['onsetCounts', 'fullDuplex']), target: 'bargeIn.onset', actions: 'markBargeIn' },
            PTT_START: { guard: 'pushToTalk', target: '#conversation.active.userSpeaking', actions: ['flushPlayback', 'cancelResponse', 'holdCut', 'armCutDeadline', { type: 'reportTurn', params: { outcome: 'interrupted' } }] },
          },
        },
        /**
         * Speech over the reply: it interrupts only if it lasts (a cough, a click does not) and
         * the dsp's echo-aware VAD says it is a person, not the speaker's own echo. The reply is
         * held (paused, nothing lost) while that is decided, so a voice silences it at once; one
         * turned down resumes it where it stopped. Every way out resumes it; where the way out
         * flushes (the cut, a pause or end of the conversation), the flush ends the pause and the
         * port says no resume (port.ts). With the dsp's VAD taking turns, the voice's onset already
         * holds the reply (`onset`), well before the dsp's minimum of speech has confirmed it.
         */
        bargeIn: {
          initial: 'guarding',
          entry: ['pausePlayback', 'holdReply'],
          exit: 'resumePlayback',
          on: {
            SPEECH_STOPPED: [{ guard: 'stopCounts', target: 'playing', actions: 'followVoices' }, { actions: 'followVoices' }],
            SPEECH_STARTED: { actions: 'followVoices' },
            // The position moves on while the guard runs: stay here, do not restart the guard.
            PLAYBACK_POSITION: { guard: 'currentItem', actions: 'position' },
          },
          states: {
            /** A voice began: held until the dsp says it is speech, and let go if it never does (a cough). */
            onset: {
              on: { SPEECH_STARTED: { guard: 'startCounts', target: 'guarding', actions: ['followVoices', 'markBargeIn'] } },
              after: { onsetHold: '#conversation.active.assistantSpeaking.playing' },
            },
            guarding: { after: { bargeInMin: 'confirming' } },
            confirming: {
              always: {
                guard: 'nearEndConfirmed',
                target: '#conversation.active.userSpeaking',
                // In this order, at once: silence, stop the model, tell it what was heard.
                actions: ['flushPlayback', 'cancelResponse', 'holdCut', 'armCutDeadline', { type: 'reportTurn', params: { outcome: 'interrupted' } }],
              },
              // Never confirmed: the model's VAD heard the echo. The reply goes on.
              after: { bargeInConfirm: '#conversation.active.assistantSpeaking.playing' },
            },
          },
        },
        /** All received has played; more may still come (a slow network), or the end of the stream. */
        quiet: {
          after: {
            replyQuiet: [
              { guard: 'halfDuplex', target: '#conversation.active.tail', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
              { target: '#conversation.active.listening', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
            ],
          },
        },
      },
    },
    /** Half-duplex: the reply drained; the microphone stays shut while the room's echo dies away. */
    tail: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
      after: { tail: 'listening' },
      always: [{ guard: 'finishRequested', target: '#conversation.ended' }],
      on: {
        PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
        RESPONSE_CREATED: { target: 'waiting', actions: ['newTurn', 'responseCreated'] },
      },
    },
  },
});
