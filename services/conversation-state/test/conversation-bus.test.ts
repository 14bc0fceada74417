import { createLogger, MetricsRegistry, systemClock } from '@voxbus/shared';
import { MemoryBroker, MemoryBus } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { busPort } from '../src/bus-port.js';
import { CONVERSATION_DEFAULTS } from '../src/config.js';
import { startConversation } from '../src/conversation.js';
import type { ConversationPort } from '../src/port.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** conversation-state's pieces on a MemoryBus: the adapter actor in, the port out, the retained state. */
function rig(port?: (bus: MemoryBus) => ConversationPort) {
  const broker = new MemoryBroker();
  const bus = new MemoryBus(broker);
  const peer = new MemoryBus(broker);
  const failures: unknown[] = [];
  const settings = { ...CONVERSATION_DEFAULTS, earcons: { listening: false, thinking: false, error: true } };
  const conversation = startConversation(settings, undefined, {
    bus,
    clock: systemClock,
    log: createLogger('test', 'silent'),
    metrics: new MetricsRegistry(),
    port: port?.(bus) ?? busPort(bus, systemClock),
    publishState: (state) => bus.publish('conversation.state', {}, state),
    onFailure: (error) => failures.push(error),
  });
  const sent = (topic: string) => broker.log.filter((entry) => entry.topic === `voxbus/${topic}`).map((entry) => (entry.bytes.length ? JSON.parse(entry.bytes.toString()) : null));
  const states = () => sent('conversation/state').map((s: { state: string }) => s.state);
  return { broker, bus, peer, conversation, sent, states, failures };
}

const gateway = (state: string) => ({ state, provider: 'sim', dialect: 'ga', model: 'm', sessionId: 's', reason: null, attempt: 0, sinceMs: 0 }) as const;

describe('conversation-state on the bus', () => {
  it('hears the services through its one adapter, commands them through the port, and keeps its state retained', async () => {
    const { peer, sent, states, conversation } = rig();
    peer.publish('realtime-gateway.state', {}, gateway('connected') as never);
    await tick();
    expect(sent('realtime-gateway/cmd/turn-detection')).toEqual([{ mode: 'server', interruptResponse: false }]);
    peer.publish('realtime-gateway.event.vad', {}, { kind: 'speech_started', itemId: 'u1', audioMs: 0 });
    peer.publish('realtime-gateway.event.vad', {}, { kind: 'speech_stopped', itemId: 'u1', audioMs: 900 });
    peer.publish('realtime-gateway.event.response', {}, { kind: 'created', responseId: 'r1', status: 'in_progress', reason: null, audioMs: 0 });
    peer.publish('playback.event.item', {}, { kind: 'started', itemId: 'i1', responseId: 'r1', heardMs: 0, receivedMs: 200, enteredDeviceUs: 1, timeUs: 2 });
    await tick();
    expect(states()).toEqual(['offline', 'listening', 'userSpeaking', 'waiting', 'assistantSpeaking']);
    // Half-duplex: what the model hears was shut when the reply began, each change said once;
    // the microphone itself stays on (the echo canceller listens) and was never muted.
    expect(sent('dsp/cmd/mute')).toEqual([{}, {}]);
    expect(sent('dsp/cmd/unmute')).toEqual([{}]);
    expect(sent('audio-capture/cmd/mute')).toEqual([]);
    const last = sent('conversation/state').at(-1);
    expect(last).toMatchObject({ state: 'assistantSpeaking', mode: 'half-duplex', micOpen: false, turn: 1 });

    peer.publish('conversation.cmd.mute', {}, { target: 'assistant' });
    peer.publish('tools.req', { name: 'finish_conversation' }, { requestId: 'call_9', name: 'finish_conversation', arguments: '{}' });
    await tick();
    expect(sent('playback/cmd/mute')).toEqual([{}]);
    expect(sent('tools/res/finish_conversation')).toEqual([{ requestId: 'call_9', ok: true, data: { output: expect.stringContaining('"ok":true') } }]);
    conversation.stop();
  });

  it('tells playback a mute once: a playback that answers every command with its state (as it may) is not told again', async () => {
    const { peer, sent, conversation } = rig();
    const playback = (muted: boolean) => ({ state: 'idle', device: 'd', granted: null, error: null, retryInMs: null, sinceMs: 0, volume: 1, muted }) as const;
    // A playback that echoes each command as its new state: with the old conversation-state the
    // two told each other for ever (hundreds of messages a second).
    // (It stops echoing after 20 commands, so that such a loop fails here by its count, not by hanging.)
    let echoes = 0;
    const echo = (muted: boolean) => {
      if (++echoes <= 20) peer.publish('playback.state', {}, playback(muted));
    };
    peer.subscribe('echoing-playback', 'playback.cmd.mute', {}, () => echo(true));
    peer.subscribe('echoing-playback', 'playback.cmd.unmute', {}, () => echo(false));
    peer.publish('realtime-gateway.state', {}, gateway('connected') as never);
    for (let i = 0; i < 3; i++) peer.publish('playback.state', {}, playback(false));
    await tick();
    peer.publish('conversation.cmd.mute', {}, { target: 'assistant' });
    await tick();
    for (let i = 0; i < 3; i++) peer.publish('playback.state', {}, playback(true));
    await tick();
    // Said once when it starts (what it wants), never again to a playback that says it is unmuted.
    expect(sent('playback/cmd/unmute'), 'unmutes sent').toHaveLength(1);
    expect(sent('playback/cmd/mute'), 'mutes sent for one conversation/cmd/mute').toHaveLength(1);
    // Restarted unmuted while the assistant is muted: told again, once.
    peer.publish('playback.state', {}, playback(false));
    await tick();
    expect(sent('playback/cmd/mute')).toHaveLength(2);
    conversation.stop();
  });

  it('turns an action that throws into a handled failure (the root observer has an error handler), not a crash', async () => {
    const { peer, failures } = rig((bus) => ({
      ...busPort(bus, systemClock),
      turnDetection: () => {
        throw new Error('a bug in an effect');
      },
    }));
    peer.publish('realtime-gateway.state', {}, gateway('connected') as never);
    await tick();
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe('a bug in an effect');
  });
});

describe("the bus port's pause and resume", () => {
  const ported = () => {
    const broker = new MemoryBroker();
    const port = busPort(new MemoryBus(broker), systemClock);
    const paths = () => broker.log.map((entry) => entry.topic.replace('voxbus/', ''));
    return { port, paths, payloads: (path: string) => broker.log.filter((e) => e.topic === `voxbus/${path}`).map((e) => JSON.parse(e.bytes.toString())) };
  };

  it('says a resume after the step, and only for a pause it asked for', async () => {
    const { port, paths, payloads } = ported();
    port.resumePlayback();
    port.pausePlayback(700);
    port.resumePlayback();
    port.resumePlayback();
    expect(paths(), 'the resume waits for the end of the step').toEqual(['playback/cmd/pause']);
    await tick();
    expect(paths(), 'one resume, none for the resume before any pause').toEqual(['playback/cmd/pause', 'playback/cmd/resume']);
    expect(payloads('playback/cmd/pause')).toEqual([{ forMs: 700 }]);
    port.resumePlayback();
    await tick();
    expect(paths(), 'nothing held: nothing to resume').toHaveLength(2);
  });

  it('says no resume when the same step flushes (the flush ends the pause; a resume first would let the reply sound)', async () => {
    const { port, paths } = ported();
    port.pausePlayback(700);
    port.resumePlayback();
    port.flushPlayback();
    await tick();
    expect(paths()).toEqual(['playback/cmd/pause', 'playback/cmd/flush']);
    port.resumePlayback();
    await tick();
    expect(paths(), 'the flush ended the pause: a later resume says nothing').toHaveLength(2);
  });
});
