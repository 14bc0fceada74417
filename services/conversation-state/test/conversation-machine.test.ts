import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { CONVERSATION_DEFAULTS } from '../src/config.js';
import { conversationMachine } from '../src/conversation-machine.js';
import { BARGE_IN_CONFIRM_MS, CUT_WAIT_MS, LOCAL_VOICE_AFTER_MS, LOCAL_VOICE_BEFORE_MS, pauseForMs, type Restored } from '../src/machine-types.js';
import { Conversation, type Settings } from './machine-harness.js';

interface Row {
  /** What happens, said as the state and the event. */
  readonly name: string;
  readonly settings?: Settings;
  readonly restored?: Restored;
  /** Brings the conversation to the state under test. */
  readonly given: (c: Conversation) => unknown;
  readonly when: (c: Conversation) => unknown;
  /** The state after (`state.phase` where the phase matters), and every effect, in order. */
  readonly expected: string;
  readonly effects: readonly string[];
}

/** A voice over the reply holds it at once, for the whole guard and a margin. */
const PAUSE = `pause:${pauseForMs(CONVERSATION_DEFAULTS.bargeInMinMs)}`;
const listening = (c: Conversation) => c.connect();
const speaking = (c: Conversation) => c.connect().userTurn();
const replying = (c: Conversation) => c.connect().userTurn().replyStarts().position(400, 1500);

const TABLE: Row[] = [
  // ---- the link
  { name: 'offline + gateway connecting', given: () => {}, when: (c) => c.send({ type: 'GATEWAY', state: 'connecting', reason: null }), expected: 'connecting', effects: ['mic:shut'] },
  {
    name: 'connecting + connected: the listening cue plays with the microphone shut, then it opens',
    given: (c) => c.send({ type: 'GATEWAY', state: 'connecting', reason: null }),
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }).send({ type: 'EARCON_DRAINED', name: 'listening' }),
    expected: 'listening.open',
    effects: ['turns:server:false', 'mic:shut', 'earcon:listening', 'mic:open'],
  },
  {
    name: 'connecting + connected, no listening cue configured',
    settings: { earcons: { listening: false } },
    given: (c) => c.send({ type: 'GATEWAY', state: 'connecting', reason: null }),
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    expected: 'listening.open',
    effects: ['turns:server:false', 'mic:open'],
  },
  {
    name: 'listening.chime + the cue never drains: the microphone opens after a second anyway',
    given: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    when: (c) => c.advance(1000),
    expected: 'listening.open',
    effects: ['mic:open'],
  },
  { name: 'listening + gateway reconnecting', given: listening, when: (c) => c.send({ type: 'GATEWAY', state: 'reconnecting', reason: 'drop' }), expected: 'reconnecting', effects: ['mic:shut'] },
  {
    name: 'userSpeaking + gateway reconnecting (a reconnect during a turn), then connected: listening again, the turn dropped',
    given: (c) => c.connect().speechStarted(),
    when: (c) => c.send({ type: 'GATEWAY', state: 'reconnecting', reason: 'drop' }).send({ type: 'GATEWAY', state: 'connected', reason: null }).send({ type: 'EARCON_DRAINED', name: 'listening' }),
    expected: 'listening.open',
    effects: ['mic:shut', 'turns:server:false', 'mic:shut', 'earcon:listening', 'mic:open'],
  },
  {
    name: 'assistantSpeaking + gateway reconnecting: the reply already queued plays on, nothing flushed',
    given: replying,
    when: (c) => c.send({ type: 'GATEWAY', state: 'reconnecting', reason: 'drop' }),
    expected: 'reconnecting',
    effects: ['mic:shut'],
  },
  {
    name: 'listening + gateway error: the error cue, and the reason kept',
    given: listening,
    when: (c) => c.send({ type: 'GATEWAY', state: 'error', reason: 'HTTP 401 at the handshake' }),
    expected: 'error',
    effects: ['mic:shut', 'earcon:error'],
  },
  {
    name: 'error + start: the gateway is asked to connect again; connected: listening',
    given: (c) => c.connect().send({ type: 'GATEWAY', state: 'error', reason: 'x' }),
    when: (c) => c.send({ type: 'START' }).send({ type: 'GATEWAY', state: 'connected', reason: null }).send({ type: 'EARCON_DRAINED', name: 'listening' }),
    expected: 'listening.open',
    effects: ['reconnect', 'turns:server:false', 'mic:shut', 'earcon:listening', 'mic:open'],
  },
  { name: 'listening + gateway stopped', given: listening, when: (c) => c.send({ type: 'GATEWAY', state: 'stopped', reason: null }), expected: 'offline', effects: ['mic:shut'] },

  // ---- a turn, half-duplex, server VAD
  { name: 'listening + speech started (server)', given: listening, when: (c) => c.speechStarted(), expected: 'userSpeaking', effects: ['mic:open'] },
  { name: 'listening + speech started (local) while the server takes turns', given: listening, when: (c) => c.speechStarted('local'), expected: 'listening.open', effects: [] },
  { name: 'userSpeaking + speech stopped (server): the model answers by itself', given: (c) => c.connect().speechStarted(), when: (c) => c.speechStopped(), expected: 'waiting', effects: [] },
  {
    name: 'waiting + response created, first audio: half-duplex shuts the microphone before the speaker sounds',
    given: speaking,
    when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 }),
    expected: 'waiting',
    effects: ['mic:shut'],
  },
  { name: 'waiting + first audio, full-duplex: the microphone stays open', given: (c) => speaking(c).fullDuplex(), when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 }), expected: 'waiting', effects: [] },
  { name: 'waiting + playback started: half-duplex keeps the microphone shut', given: speaking, when: (c) => c.replyStarts(), expected: 'assistantSpeaking.playing', effects: ['mic:shut', 'mic:shut'] },
  { name: 'waiting + an earcon starts playing: not the reply', given: speaking, when: (c) => c.send({ type: 'PLAYBACK_STARTED', itemId: 'earcon:thinking', heardAtUs: 1 }), expected: 'waiting', effects: [] },
  {
    name: 'assistantSpeaking + response done and drained: the tail, microphone still shut, then listening',
    given: replying,
    when: (c) => c.replyEnds().advance(300),
    expected: 'listening.open',
    effects: ['report:answered', 'mic:shut', 'mic:open'],
  },
  {
    name: 'assistantSpeaking + drained before the stream ended (a slow network): still speaking, quietly',
    given: replying,
    when: (c) => c.send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 900, receivedMs: 900, atUs: c.nowUs }),
    expected: 'assistantSpeaking.quiet',
    effects: [],
  },
  {
    name: 'assistantSpeaking.quiet + more of the reply arrives and plays',
    given: (c) => replying(c).send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 900, receivedMs: 900, atUs: c.nowUs }),
    when: (c) => c.position(1000, 1400),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'assistantSpeaking + the stream ended, then drained with less than the model sent (playback reads the bus late): still speaking, quietly',
    given: replying,
    when: (c) =>
      c
        .send({ type: 'RESPONSE_DONE', responseId: 'resp_1', status: 'completed', reason: null, audioMs: 2000, atUs: c.nowUs })
        .send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 900, receivedMs: 900, atUs: c.nowUs }),
    expected: 'assistantSpeaking.quiet',
    effects: [],
  },
  {
    name: 'assistantSpeaking.quiet + the rest of the stream reaches playback and drains: the tail',
    given: (c) =>
      replying(c)
        .send({ type: 'RESPONSE_DONE', responseId: 'resp_1', status: 'completed', reason: null, audioMs: 2000, atUs: c.nowUs })
        .send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 900, receivedMs: 900, atUs: c.nowUs }),
    when: (c) => c.send({ type: 'PLAYBACK_STARTED', itemId: 'item_1', heardAtUs: c.nowUs }).send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 1990, receivedMs: 1990, atUs: c.advance(1090).nowUs }),
    expected: 'assistantSpeaking.tail',
    effects: ['report:answered', 'mic:shut'],
  },
  {
    name: 'assistantSpeaking.quiet + the stream’s end never arrives (lost while the broker restarted): the reply is over after 3 s',
    given: (c) => replying(c).send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }),
    when: (c) => c.advance(3000),
    expected: 'assistantSpeaking.tail',
    effects: ['report:answered', 'mic:shut'],
  },
  {
    name: 'assistantSpeaking + playback idle (no drained event) and the stream’s end: the tail',
    given: replying,
    when: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }).send({ type: 'RESPONSE_DONE', responseId: 'resp_1', status: 'completed', reason: null, audioMs: 1500, atUs: c.nowUs }),
    expected: 'assistantSpeaking.tail',
    effects: ['report:answered', 'mic:shut'],
  },
  {
    name: 'assistantSpeaking + playback restarted (killed mid-reply): the reply is abandoned',
    given: replying,
    when: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'opening', muted: false }),
    expected: 'assistantSpeaking.tail',
    effects: ['report:abandoned', 'mic:shut'],
  },
  { name: 'assistantSpeaking + playback’s Last Will', given: replying, when: (c) => c.send({ type: 'SERVICE_LOST', service: 'playback' }), expected: 'assistantSpeaking.tail', effects: ['report:abandoned', 'mic:shut'] },
  { name: 'listening + the gateway’s Last Will (its retained state still says connected)', given: listening, when: (c) => c.send({ type: 'SERVICE_LOST', service: 'realtime-gateway' }), expected: 'reconnecting', effects: ['mic:shut'] },
  {
    name: 'assistantSpeaking + speech started, half-duplex (echo of the reply): no barge-in',
    given: replying,
    when: (c) => c.speechStarted().advance(500),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'tail + a flush that arrives after playback drained: nothing more happens',
    given: (c) => replying(c).replyEnds(),
    when: (c) => c.send({ type: 'PLAYBACK_FLUSHED', itemId: 'item_1', heardMs: 1500, receivedMs: 1500, atUs: c.nowUs }),
    expected: 'assistantSpeaking.tail',
    effects: [],
  },
  {
    name: 'waiting (full-duplex) + speech during the response’s first delta (not yet heard): the person goes on, the reply is cancelled',
    given: (c) => speaking(c).fullDuplex(),
    when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 }).speechStarted(),
    expected: 'userSpeaking',
    effects: ['cancel', 'flush', 'report:continued', 'mic:open'],
  },
  {
    name: 'waiting + response failed',
    given: speaking,
    when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_DONE', responseId: 'r', status: 'failed', reason: 'server_error', audioMs: 0, atUs: 2 }),
    expected: 'listening.open',
    effects: ['report:failed', 'mic:open'],
  },
  {
    name: 'waiting + no response in time: the error cue, listening again',
    given: speaking,
    when: (c) => c.advance(CONVERSATION_DEFAULTS.responseTimeoutMs),
    expected: 'listening.open',
    effects: ['report:no_response', 'earcon:error', 'mic:open'],
  },

  {
    name: 'waiting + a position of the reply whose started was lost (item events are QoS 0): the reply is playing, not a 15 s wait',
    given: speaking,
    when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 }).position(300, 1200),
    expected: 'assistantSpeaking.playing',
    effects: ['mic:shut', 'mic:shut'],
  },
  {
    name: 'waiting + the model answered with audio and playback never started it (playback down): abandoned, not a silent model',
    given: speaking,
    when: (c) =>
      c
        .send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 })
        .send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 })
        .send({ type: 'RESPONSE_DONE', responseId: 'r', status: 'completed', reason: null, audioMs: 2400, atUs: 3 })
        .advance(CONVERSATION_DEFAULTS.responseTimeoutMs),
    expected: 'listening.open',
    effects: ['mic:shut', 'report:abandoned', 'earcon:error', 'mic:open'],
  },

  // ---- full-duplex and barge-in
  { name: 'waiting + playback started, echo cancellation converged: the microphone stays open', given: (c) => speaking(c).fullDuplex(), when: (c) => c.replyStarts(), expected: 'assistantSpeaking.playing', effects: ['mic:open'] },
  {
    name: 'assistantSpeaking (full) + speech that lasts: flush, cancel, then truncate where playback says the flush cut',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.advance(100).voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs).flushed(655, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:655'],
  },
  {
    name: 'assistantSpeaking (full) + barge-in, and playback never says where it cut: truncated after a wait at the estimate, where the voice held the reply',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.advance(100).voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs).advance(CUT_WAIT_MS).advance(1),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', `truncate:item_1:${400 + 100}`],
  },
  {
    name: 'assistantSpeaking (full): the item ran dry at 900 ms and started again; a barge-in with no word from playback truncates at 900 (all received), not from 0',
    given: (c) => replying(c.fullDuplex()),
    when: (c) =>
      c
        .send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 900, receivedMs: 900, atUs: c.nowUs })
        .advance(300)
        .send({ type: 'PLAYBACK_STARTED', itemId: 'item_1', heardAtUs: c.nowUs })
        .voiceOverReply()
        .advance(CONVERSATION_DEFAULTS.bargeInMinMs)
        .advance(CUT_WAIT_MS)
        .advance(1),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:900'],
  },
  {
    name: 'a flush of some other item after a barge-in: not the cut, the deadline still truncates',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs).send({ type: 'PLAYBACK_FLUSHED', itemId: 'item_0', heardMs: 100, receivedMs: 100, atUs: c.nowUs }).advance(CUT_WAIT_MS).advance(1),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:400'],
  },
  {
    name: 'assistantSpeaking (full), both VADs + the dsp reports speech that already lasted the minimum: interrupted at once',
    settings: { vad: 'both' },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted('local', CONVERSATION_DEFAULTS.bargeInMinMs).advance(0).flushed(420, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:420'],
  },
  {
    name: "assistantSpeaking (full) + the model's VAD hears speech the dsp's echo-aware VAD never does (the speaker's echo): not a barge-in, the reply goes on",
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs).advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: "assistantSpeaking (full) + the model's VAD first, the dsp's confirms after the minimum (its own 150 ms): interrupted when it confirms",
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs + 40).speechStarted('local', 150).flushed(700, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:700'],
  },
  {
    name: 'assistantSpeaking (full) + the dsp heard the voice first (its start before the model\'s): confirmed at the minimum',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted('local', 150).advance(30).speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs).flushed(600, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:600'],
  },
  {
    name: "assistantSpeaking (full) + the model's VAD hears a voice, the guard runs out, the dsp's VAD hears it late while the model still does: interrupted then",
    given: (c) => replying(c.fullDuplex()),
    when: (c) =>
      c
        .speechStarted()
        .advance(CONVERSATION_DEFAULTS.bargeInMinMs)
        .advance(BARGE_IN_CONFIRM_MS)
        .advance(LOCAL_VOICE_AFTER_MS - CONVERSATION_DEFAULTS.bargeInMinMs - BARGE_IN_CONFIRM_MS - 100)
        .speechStarted('local', 150)
        .flushed(900, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'resume', PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:900'],
  },
  {
    name: "auto, assistantSpeaking (half) + the model's VAD hears a voice, full-duplex at once, then the dsp's VAD hears it before the voice has lasted the barge-in minimum: not cut by the late confirmation (it skips no guard)",
    given: replying,
    when: (c) => c.speechStarted().echo(true).advance(50).speechStarted('local', 150),
    expected: 'assistantSpeaking.playing',
    effects: ['mic:open'],
  },
  {
    name: "assistantSpeaking (full) + the model's VAD heard a voice and stopped, then the dsp's VAD hears one: not the same voice, the reply goes on",
    given: (c) => replying(c.fullDuplex()),
    when: (c) =>
      c
        .speechStarted()
        .advance(CONVERSATION_DEFAULTS.bargeInMinMs)
        .advance(BARGE_IN_CONFIRM_MS)
        .speechStopped()
        .advance(100)
        .speechStarted('local', 150)
        .advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: "assistantSpeaking (full) + the model's VAD has heard a voice for longer than the dsp may be late, then the dsp's VAD hears one: not confirmed, the reply goes on",
    given: (c) => replying(c.fullDuplex()),
    when: (c) =>
      c
        .speechStarted()
        .advance(CONVERSATION_DEFAULTS.bargeInMinMs)
        .advance(BARGE_IN_CONFIRM_MS)
        .advance(LOCAL_VOICE_AFTER_MS - CONVERSATION_DEFAULTS.bargeInMinMs - BARGE_IN_CONFIRM_MS + 100)
        .speechStarted('local', 150)
        .advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: "local VAD, assistantSpeaking (full) + the model's VAD is not asked: the dsp's late start takes the usual way (onset, guard)",
    settings: { vad: 'local' },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(200).speechStarted('local', 150).advance(CONVERSATION_DEFAULTS.bargeInMinMs).flushed(500, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:500'],
  },
  {
    name: "assistantSpeaking (full), the dsp killed while it heard a voice (its speech_stopped never came) + later the model's VAD hears the echo: not confirmed by the stale voice, the reply goes on",
    given: (c) => replying(c.fullDuplex()),
    when: (c) =>
      c
        .speechStarted('local', 150)
        .advance(30)
        .echo(true, true, false)
        .echo(true, true, true)
        .advance(LOCAL_VOICE_BEFORE_MS + 100)
        .speechStarted()
        .advance(CONVERSATION_DEFAULTS.bargeInMinMs)
        .advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: 'assistantSpeaking (full), a dsp without a VAD + speech that lasts: nothing to confirm with, interrupted at the minimum',
    given: (c) => replying(c.echo(true, false)),
    when: (c) => c.speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs).flushed(650, 1500),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:650'],
  },
  {
    name: 'auto, assistantSpeaking (half) + the canceller converges mid-reply: full-duplex at once, the model hears the room again',
    given: replying,
    when: (c) => c.echo(true),
    expected: 'assistantSpeaking.playing',
    effects: ['mic:open'],
  },
  {
    name: 'auto, assistantSpeaking (full) + convergence lost mid-reply: half-duplex at once, the model no longer hears the room',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.echo(false),
    expected: 'assistantSpeaking.playing',
    effects: ['mic:shut'],
  },
  {
    name: 'auto, assistantSpeaking (half) + a voice over the reply: not heard (the model hears nothing, the dsp VAD does not take turns)',
    given: replying,
    when: (c) => c.voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs + BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'local VAD, waiting (half) after the first audio + the dsp hears speech (the reply\'s first echo): the model\'s input is shut, so it does not count',
    settings: { vad: 'local' },
    given: (c) => c.connect().userTurn(800, 'local').send({ type: 'RESPONSE_CREATED', responseId: 'r', atUs: 1 }).send({ type: 'RESPONSE_AUDIO', responseId: 'r', atUs: 2 }),
    when: (c) => c.speechStarted('local', 150),
    expected: 'waiting',
    effects: [],
  },
  {
    name: 'listening.chime + the dsp hears speech (the cue itself): it does not start a turn',
    settings: { vad: 'local' },
    given: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    when: (c) => c.speechStarted('local', 150),
    expected: 'listening.chime',
    effects: [],
  },
  {
    name: 'local VAD, assistantSpeaking (full) + a voice begins: the reply is held at once, before the dsp has heard its minimum of speech',
    settings: { vad: 'local' },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOnset(),
    expected: 'assistantSpeaking.bargeIn',
    effects: [PAUSE],
  },
  {
    name: 'local VAD, assistantSpeaking (full) + a voice begins and never becomes speech (a cough): let go after the hold, the reply plays on',
    settings: { vad: 'local' },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOnset().advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: 'local VAD, assistantSpeaking (full) + a voice begins, then the dsp says speech: cut at once (the dsp heard its minimum)',
    settings: { vad: 'local' },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOnset().advance(120).speechStarted('local', 150).advance(0),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open'],
  },
  {
    name: 'server VAD, assistantSpeaking (full) + the dsp hears a voice begin: nothing (the model\'s own speech_started holds the reply)',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOnset().advance(BARGE_IN_CONFIRM_MS),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'local VAD, assistantSpeaking (full), pausing off + a voice begins: nothing held',
    settings: { vad: 'local', bargeInPause: false },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.voiceOnset(),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'local VAD, assistantSpeaking (half) + a voice begins: nothing (the model hears nothing while the reply plays)',
    settings: { vad: 'local' },
    given: replying,
    when: (c) => c.voiceOnset(),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'assistantSpeaking (full) + a blip shorter than the minimum: not a barge-in',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(60).speechStopped().advance(500),
    expected: 'assistantSpeaking.playing',
    effects: [PAUSE, 'resume'],
  },
  {
    name: 'assistantSpeaking (full) + the conversation ended while the guard decides: the flush ends the pause, no resume is said',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(50).send({ type: 'END' }),
    expected: 'ended',
    effects: [PAUSE, 'mic:shut', 'flush', 'cancel', 'disconnect'],
  },
  {
    name: 'assistantSpeaking (full) + the reply drains while the guard decides (the voice came at its very end): resumed, so the next sound is not held',
    given: (c) => replying(c.fullDuplex()).send({ type: 'RESPONSE_DONE', responseId: 'resp_1', status: 'completed', reason: null, audioMs: 1500, atUs: 1 }),
    when: (c) => c.speechStarted().advance(20).send({ type: 'PLAYBACK_DRAINED', itemId: 'item_1', heardMs: 1500, receivedMs: 1500, atUs: c.nowUs }),
    expected: 'listening.open',
    effects: [PAUSE, 'report:answered', 'mic:open', 'resume'],
  },
  {
    name: 'assistantSpeaking (full), pausing off + a voice the guard turns down: the reply plays on, nothing paused or resumed',
    settings: { bargeInPause: false },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.speechStarted().advance(60).speechStopped().advance(500),
    expected: 'assistantSpeaking.playing',
    effects: [],
  },
  {
    name: 'assistantSpeaking (full), pausing off + speech that lasts: cut at the guard, and what was heard runs on to the cut',
    settings: { bargeInPause: false },
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.advance(100).voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs).advance(CUT_WAIT_MS).advance(1),
    expected: 'userSpeaking',
    effects: ['flush', 'cancel', 'report:interrupted', 'mic:open', `truncate:item_1:${400 + 100 + CONVERSATION_DEFAULTS.bargeInMinMs}`],
  },
  {
    name: 'assistantSpeaking (full) + barge-in past what was received: truncated to what was received',
    given: (c) => c.fullDuplex().connect().userTurn().replyStarts().position(900, 1000),
    when: (c) => c.advance(400).voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs).flushed(1200, 1000),
    expected: 'userSpeaking',
    effects: [PAUSE, 'flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:1000'],
  },
  {
    name: 'assistantSpeaking (full) + a response nobody asked for (the model heard echo): refused',
    given: (c) => replying(c.fullDuplex()),
    when: (c) => c.send({ type: 'RESPONSE_CREATED', responseId: 'resp_2', atUs: 1 }),
    expected: 'assistantSpeaking.playing',
    effects: ['cancel'],
  },

  // ---- local VAD and push-to-talk
  {
    name: 'local VAD: connected asks for manual turns and clears what no turn used; speech stopped commits',
    settings: { vad: 'local', earcons: { listening: false } },
    given: () => {},
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }).userTurn(800, 'local'),
    expected: 'waiting',
    effects: ['turns:manual:false', 'mic:open', 'clear', 'mic:open', 'commit'],
  },
  {
    name: 'local VAD: listening for a while clears the unused input every so often',
    settings: { vad: 'local', earcons: { listening: false } },
    given: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    // (XState 5's SimulatedClock fires a timer set while it advances only on the next advance.)
    when: (c) => c.advance(CONVERSATION_DEFAULTS.manualClearMs).advance(CONVERSATION_DEFAULTS.manualClearMs),
    expected: 'listening.open',
    effects: ['mic:open', 'clear', 'mic:open', 'clear'],
  },
  {
    name: 'push-to-talk: listening keeps the microphone shut and ignores VAD',
    settings: { mode: 'push-to-talk', earcons: { listening: false } },
    given: () => {},
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }).speechStarted(),
    expected: 'listening.open',
    effects: ['turns:manual:false', 'mic:shut', 'clear'],
  },
  {
    name: 'push-to-talk: press opens the microphone; release shuts it, waits for audio on its way, commits',
    settings: { mode: 'push-to-talk', earcons: { listening: false } },
    given: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    when: (c) => c.send({ type: 'PTT_START', atUs: c.nowUs }).advance(1000).send({ type: 'PTT_STOP', atUs: c.nowUs }).advance(CONVERSATION_DEFAULTS.pttCommitDelayMs),
    expected: 'waiting',
    effects: ['mic:open', 'mic:shut', 'commit'],
  },
  {
    name: 'push-to-talk pressed over the reply: it is interrupted',
    settings: { mode: 'push-to-talk', earcons: { listening: false } },
    given: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }).send({ type: 'PTT_START', atUs: 0 }).send({ type: 'PTT_STOP', atUs: 0 }).advance(200).replyStarts().position(300, 2000),
    when: (c) => c.send({ type: 'PTT_START', atUs: c.nowUs }).flushed(310, 2000),
    expected: 'userSpeaking',
    effects: ['flush', 'cancel', 'report:interrupted', 'mic:open', 'truncate:item_1:310'],
  },

  // ---- commands
  { name: 'listening + mute user', given: listening, when: (c) => c.send({ type: 'MUTE', target: 'user' }), expected: 'listening.open', effects: ['mic:shut', 'capture:off', 'speaker:on'] },
  { name: 'muted listening + unmute all', given: (c) => c.connect().send({ type: 'MUTE', target: 'all' }), when: (c) => c.send({ type: 'UNMUTE', target: 'all' }), expected: 'listening.open', effects: ['mic:open', 'capture:on', 'speaker:on'] },
  { name: 'assistantSpeaking + mute assistant', given: replying, when: (c) => c.send({ type: 'MUTE', target: 'assistant' }), expected: 'assistantSpeaking.playing', effects: ['mic:shut', 'capture:on', 'speaker:muted'] },
  {
    name: 'assistantSpeaking + pause: the reply stops; resume: listening again',
    given: replying,
    when: (c) => c.send({ type: 'PAUSE' }).flushed(410, 1500).send({ type: 'RESUME' }).send({ type: 'EARCON_DRAINED', name: 'listening' }),
    expected: 'listening.open',
    effects: ['mic:shut', 'flush', 'cancel', 'truncate:item_1:410', 'turns:server:false', 'mic:shut', 'earcon:listening', 'mic:open'],
  },
  { name: 'listening + end', given: listening, when: (c) => c.send({ type: 'END' }), expected: 'ended', effects: ['mic:shut', 'flush', 'cancel', 'disconnect'] },
  { name: 'ended + the gateway going idle: still ended', given: (c) => c.connect().send({ type: 'END' }), when: (c) => c.send({ type: 'GATEWAY', state: 'idle', reason: null }), expected: 'ended', effects: [] },
  { name: 'ended + start', given: (c) => c.connect().send({ type: 'END' }), when: (c) => c.send({ type: 'START' }), expected: 'connecting', effects: ['reconnect', 'mic:shut'] },
  { name: 'listening, no one speaking for the idle timeout: ended', given: listening, when: (c) => c.advance(CONVERSATION_DEFAULTS.idleTimeoutMs), expected: 'ended', effects: ['mic:shut', 'flush', 'cancel', 'disconnect'] },
  {
    name: 'the model calls finish_conversation: answered, its goodbye played, then the conversation ends',
    given: speaking,
    when: (c) =>
      c
        .send({ type: 'RESPONSE_CREATED', responseId: 'r1', atUs: 1 })
        .send({ type: 'TOOL_REQUESTED', requestId: 'call_1', name: 'finish_conversation' })
        .send({ type: 'RESPONSE_DONE', responseId: 'r1', status: 'completed', reason: null, audioMs: 0, atUs: 2 })
        .replyStarts('r2', 'item_2')
        .replyEnds('r2', 'item_2', 800),
    expected: 'ended',
    effects: ['tool:finish_conversation:call_1', 'mic:shut', 'mic:shut', 'report:answered', 'mic:shut', 'flush', 'cancel', 'disconnect'],
  },
  {
    name: 'another tool: the turn waits for the answer’s response, then listening as usual',
    settings: { tailMs: 0 },
    given: speaking,
    when: (c) =>
      c
        .send({ type: 'RESPONSE_CREATED', responseId: 'r1', atUs: 1 })
        .send({ type: 'TOOL_REQUESTED', requestId: 'call_1', name: 'weather' })
        .send({ type: 'RESPONSE_DONE', responseId: 'r1', status: 'completed', reason: null, audioMs: 0, atUs: 2 })
        .replyStarts('r2', 'item_2')
        .replyEnds('r2', 'item_2', 800)
        .advance(1),
    expected: 'listening.open',
    effects: ['mic:shut', 'mic:shut', 'report:answered', 'mic:shut', 'mic:open'],
  },
  {
    name: "a restarted dsp comes up sending audio on while the model's input must be shut (half-duplex reply): told again",
    given: replying,
    when: (c) => c.send({ type: 'DSP_STATE', converged: false, muted: false, vad: true, running: true }),
    expected: 'assistantSpeaking.playing',
    effects: ['mic:shut:again'],
  },
  { name: 'the dsp says it is muted, as it should be: nothing to say', given: replying, when: (c) => c.send({ type: 'DSP_STATE', converged: false, muted: true, vad: true, running: true }), expected: 'assistantSpeaking.playing', effects: [] },
  {
    name: 'a restarted audio-capture comes up capturing while the user muted it: told again',
    given: (c) => c.connect().send({ type: 'MUTE', target: 'user' }),
    when: (c) => c.send({ type: 'CAPTURE_STATE', state: 'capturing' }),
    expected: 'listening.open',
    effects: ['capture:off:again'],
  },
  { name: 'audio-capture capturing while the user is not muted (half-duplex reply): the microphone stays on for the echo canceller', given: replying, when: (c) => c.send({ type: 'CAPTURE_STATE', state: 'capturing' }), expected: 'assistantSpeaking.playing', effects: [] },
  { name: 'a restarted playback comes up while the assistant is muted: told again', given: (c) => c.connect().send({ type: 'MUTE', target: 'assistant' }), when: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }), expected: 'listening.open', effects: ['speaker:muted:again'] },
  {
    // A playback may say its state after every command (the contract allows it): told nothing that it already does, or the two would echo each other for ever.
    name: 'playback saying again what it was told (not muted, idle, three times): nothing sent',
    given: listening,
    when: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }).send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }).send({ type: 'PLAYBACK_STATE', state: 'idle', muted: false }),
    expected: 'listening.open',
    effects: [],
  },
  { name: 'playback muted by someone else while the assistant is not: told to unmute', given: listening, when: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'idle', muted: true }), expected: 'listening.open', effects: ['speaker:on:again'] },

  // ---- a restarted conversation-state
  {
    name: 'restarted mid-reply (playback still playing): speaking until it drains, then the tail',
    restored: { state: 'assistantSpeaking', userMuted: false, assistantMuted: false, turn: 7 },
    given: (c) => c.send({ type: 'PLAYBACK_STATE', state: 'playing', muted: false }),
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }).send({ type: 'PLAYBACK_DRAINED', itemId: 'item_x', heardMs: 900, receivedMs: 900, atUs: 1 }),
    expected: 'assistantSpeaking.tail',
    effects: ['turns:server:false', 'mic:shut', 'report:answered', 'mic:shut'],
  },
  {
    name: 'restarted with the user muted: still muted once listening',
    restored: { state: 'listening', userMuted: true, assistantMuted: false, turn: 3 },
    settings: { earcons: { listening: false } },
    given: () => {},
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    expected: 'listening.open',
    effects: ['turns:server:false', 'mic:shut'],
  },
  {
    name: 'restarted after the conversation ended: it stays ended',
    restored: { state: 'ended', userMuted: false, assistantMuted: false, turn: 3 },
    given: () => {},
    when: (c) => c.send({ type: 'GATEWAY', state: 'connected', reason: null }),
    expected: 'ended',
    effects: ['mic:shut', 'flush', 'cancel', 'disconnect'],
  },
];

describe('the conversation machine, state × event → next state and effects', () => {
  it.each(TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const c = new Conversation(row.settings, row.restored);
    row.given(c);
    c.effects();
    row.when(c);
    expect(c.where).toBe(row.expected);
    expect(c.effects()).toEqual(row.effects);
  });
});

describe('the conversation machine, beyond one step', () => {
  it('publishes the retained view: state, mode, microphone, mutes, turn', () => {
    const c = new Conversation();
    expect(c.view).toMatchObject({ state: 'offline', mode: 'half-duplex', micOpen: false, turn: 0 });
    c.connect().userTurn().replyStarts();
    expect(c.view).toMatchObject({ state: 'assistantSpeaking', phase: 'playing', micOpen: false, turn: 1 });
    c.fullDuplex();
    expect(c.view.mode).toBe('full-duplex');
    c.send({ type: 'MUTE', target: 'assistant' });
    expect(c.view.muted).toEqual({ user: false, assistant: true });
  });

  it('reports each turn with its latencies from the end of speech', () => {
    const c = new Conversation({ tailMs: 0 });
    c.connect().speechStarted().advance(900).speechStopped().replyStarts().replyEnds();
    const report = c.port.reports.at(-1);
    expect(report).toMatchObject({ turn: 1, outcome: 'answered', mode: 'half-duplex', vad: 'server', responseId: 'resp_1', heardMs: 1500, receivedMs: 1500 });
    // replyStarts: created 120 ms after the end of speech, first audio 200 ms later, heard 60 ms after that.
    expect(report?.latencyMs).toEqual({ speechStoppedToResponse: 120, speechStoppedToFirstAudio: 320, speechStoppedToHeard: 380 });
  });

  it('counts turns across ten in a row, half-duplex, and never opens the microphone while the reply plays', () => {
    const c = new Conversation();
    c.connect();
    for (let turn = 1; turn <= 10; turn++) {
      c.userTurn().replyStarts(`r${turn}`, `i${turn}`);
      expect(c.view.micOpen).toBe(false);
      c.replyEnds(`r${turn}`, `i${turn}`).advance(CONVERSATION_DEFAULTS.tailMs);
      expect(c.where).toBe('listening.open');
    }
    expect(c.view.turn).toBe(10);
    expect(c.port.reports.map((r) => r.outcome)).toEqual(Array(10).fill('answered'));
  });

  it('reports what was heard up to where the voice held the reply, not the time since the last position (a playback need not say positions while paused)', () => {
    const c = new Conversation();
    replying(c.fullDuplex()).advance(100);
    c.voiceOverReply().advance(CONVERSATION_DEFAULTS.bargeInMinMs + 200).speechStarted('local', 150);
    expect(c.where).toBe('userSpeaking');
    expect(c.port.reports.at(-1)).toMatchObject({ outcome: 'interrupted', heardMs: 400 + 100 });
  });

  it('moves what was heard on again once a held reply resumes', () => {
    const c = new Conversation();
    replying(c.fullDuplex());
    c.speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs).advance(BARGE_IN_CONFIRM_MS);
    expect(c.where).toBe('assistantSpeaking.playing');
    c.position(420, 1500).advance(200).speechStarted('local', 150).speechStarted().advance(CONVERSATION_DEFAULTS.bargeInMinMs);
    expect(c.port.reports.at(-1)).toMatchObject({ outcome: 'interrupted', heardMs: 420 + 200 });
  });

  it('truncates a reply held at a voice\'s onset where the onset held it, not where the dsp confirmed speech', () => {
    const c = new Conversation({ vad: 'local' });
    replying(c.fullDuplex());
    c.position(420, 1500).advance(200).voiceOnset().advance(120).speechStarted('local', 150).advance(0);
    expect(c.where).toBe('userSpeaking');
    expect(c.port.reports.at(-1)).toMatchObject({ outcome: 'interrupted', heardMs: 420 + 200 });
  });

  it('holds the reply again at the next onset once a cough\'s hold is let go', () => {
    const c = new Conversation({ vad: 'local' });
    replying(c.fullDuplex()).effects();
    c.voiceOnset().advance(BARGE_IN_CONFIRM_MS).advance(500).voiceOnset();
    expect(c.where).toBe('assistantSpeaking.bargeIn');
    expect(c.effects()).toEqual([PAUSE, 'resume', PAUSE]);
  });

  it('counts speech the dsp had already heard toward the barge-in minimum, and waits only for the rest', () => {
    const c = new Conversation({ vad: 'local' });
    replying(c.fullDuplex()).effects();
    c.speechStarted('local', 100).advance(CONVERSATION_DEFAULTS.bargeInMinMs - 100 - 1);
    expect(c.where).toBe('assistantSpeaking.bargeIn');
    c.advance(1);
    expect(c.where).toBe('userSpeaking');
    expect(c.effects().slice(0, 3)).toEqual([PAUSE, 'flush', 'cancel']);
  });

  it('is pure: the first steps computed without an actor name the same effects', () => {
    const [start, entry] = initialTransition(conversationMachine, { settings: CONVERSATION_DEFAULTS });
    expect(entry.map((action) => action.type)).toContain('applyMic');
    const [connected, actions] = transition(conversationMachine, start, { type: 'GATEWAY', state: 'connected', reason: null });
    expect(connected.value).toEqual({ active: { listening: 'chime' } });
    expect(actions.map((action) => action.type)).toEqual(expect.arrayContaining(['configureTurns', 'applyMic', 'playEarcon']));
  });
});
