import { speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { ALL_SERVICES, type ConversationView, listening, startBoardStack, turnReport } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import type { Probe } from '../helpers/probe.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();

interface Status {
  status: string;
  reason: string;
  pid: number;
}

/** The pid of `service` as its newest `online` status says. */
function pidOf(probe: Probe, service: string): number {
  const online = probe.on(`voxbus/${service}/status`).filter((m) => (m.json as Status).status === 'online');
  const pid = (online.at(-1)?.json as Status | undefined)?.pid;
  if (pid === undefined) throw new Error(`no voxbus/${service}/status online with a pid`);
  return pid;
}

function latestState(probe: Probe): ConversationView | undefined {
  return probe.latest('voxbus/conversation/state')?.json as ConversationView | undefined;
}

const isListening = (state: ConversationView | undefined) => state?.state === 'listening' && state.micOpen;

describe('the conversation survives any one service dying', () => {
  it('kill -9 of each service in turn in the middle of a turn: the runner restarts it and the next turn works without any manual step', async () => {
    const { board, probe } = await startBoardStack(onCleanup, { VOXBUS_CONVERSATION_STATE__MODE: 'half-duplex' });
    const question = await speech('What time is it now?', 48_000);
    const outcomes: string[] = [];
    // Each turn is the one a service dies in, and the turn that proves the one before it recovered.
    for (const victim of ALL_SERVICES) {
      const at = probe.messages.length;
      const pid = pidOf(probe, victim);
      const speaking = board.speak(question, 48_000);
      await probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === 'assistantSpeaking' || s.state === 'waiting', 20_000, at);
      process.kill(pid, 'SIGKILL');
      await speaking;
      // Back: a new process says online, and the conversation listens again on its own.
      await probe.waitForJson<Status>(`voxbus/${victim}/status`, (s) => s.status === 'online' && s.pid !== pid, 30_000, at);
      await waitFor(`listening again after ${victim} died`, () => isListening(latestState(probe)) || undefined, 30_000);
      // The next turn, untouched by hand.
      const turnAt = probe.messages.length;
      await board.speak(question, 48_000);
      const report = await turnReport(probe, turnAt, 30_000).catch((error: Error) => {
        const state = latestState(probe);
        const input = probe.messages.slice(at).filter((m) => m.topic.startsWith('voxbus/dsp/cmd/') || m.topic.startsWith('voxbus/audio-capture/cmd/') || m.topic === 'voxbus/dsp/state' || m.topic === 'voxbus/audio-capture/state');
        const said = input.map((m) => (m.topic.endsWith('/state') ? `${m.topic.split('/')[1]} ${(m.json as { muted?: boolean; state: string }).muted ?? (m.json as { state: string }).state}` : m.topic.replace('voxbus/', '')));
        throw new Error(`the turn after ${victim} was killed and came back: ${error.message} (conversation ${state?.state}/${state?.phase}, mic ${state?.micOpen ? 'open' : 'shut'}; outcomes so far: ${outcomes.join(', ')}; microphone and dsp since the kill: ${said.join(', ')}; since the question: ${probe.messages.slice(turnAt).filter((m) => m.topic === 'voxbus/audio/input').length} audio/input frames, VAD ${probe.messages.slice(turnAt).filter((m) => m.topic.endsWith('/event/vad')).map((m) => `${m.topic.split('/')[1]} ${(m.json as { kind: string }).kind}`).join(', ') || 'nothing'}, gateway ${probe.messages.slice(at).filter((m) => m.topic === 'voxbus/realtime-gateway/state' || m.topic.endsWith('cmd/turn-detection')).map((m) => m.payload.toString().slice(0, 60)).join(' | ')})`);
      });
      outcomes.push(`${victim}: ${report.outcome}`);
      await listening(probe, turnAt, 30_000);
    }
    expect(outcomes).toEqual(ALL_SERVICES.map((service) => `${service}: answered`));
  }, 400_000);
});
