import { describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '@voxbus/shared/testing';

// A broker sends a new subscription's retained messages while live ones already flow on it, so
// the retained copy of a state can land after a newer live change (seen in CI: the dsp's retained
// `waiting` 4 ms after its live `running`). A subscription must never go back to older news.

const status = (pid: number) => ({
  status: 'online' as const,
  reason: 'running' as const,
  service: 'dsp',
  version: '1',
  startedAt: '2026-11-29T12:00:00.000Z',
  pid,
  host: 'board',
});

function setUp() {
  const broker = new MemoryBroker();
  const dsp = new MemoryBus(broker);
  const bus = new MemoryBus(broker);
  const seenBy = (owner: string, service = '+'): string[] => {
    const seen: string[] = [];
    bus.subscribe(owner, 'service.status', { service }, ({ payload, retained }) => void seen.push(`pid ${payload.pid}${retained ? ' retained' : ''}`));
    return seen;
  };
  return { broker, dsp, bus, seenBy };
}

describe('bus core: retained snapshots never older than live news', () => {
  it('skips a retained copy that arrives after a live change of the same topic', () => {
    const { broker, dsp, bus, seenBy } = setUp();
    dsp.publish('service.status', { service: 'dsp' }, status(1));
    broker.holdRetained();
    const seen = seenBy('state');
    dsp.publish('service.status', { service: 'dsp' }, status(2));
    broker.releaseRetained();
    expect(seen, 'the stale retained pid 1 must not follow the live pid 2').toEqual(['pid 2']);
    expect(bus.counters().received).toBe(2);
    // A later subscription on the same filter gets the newest, not what the broker sent late.
    expect(seenBy('monitor')).toEqual(['pid 2 retained']);
  });

  it('hands a new, overlapping filter the bus’s own newer snapshot, not the broker’s late copy', () => {
    const { broker, dsp, seenBy } = setUp();
    dsp.publish('service.status', { service: 'dsp' }, status(1));
    const all = seenBy('state');
    dsp.publish('service.status', { service: 'dsp' }, status(2));
    broker.holdRetained();
    const dspOnly = seenBy('lcd', 'dsp');
    broker.releaseRetained();
    expect(all).toEqual(['pid 1 retained', 'pid 2']);
    expect(dspOnly).toEqual(['pid 2 retained']);
  });

  it('still delivers a late retained copy when no live news came before it', () => {
    const { broker, dsp, seenBy } = setUp();
    dsp.publish('service.status', { service: 'dsp' }, status(1));
    broker.holdRetained();
    const seen = seenBy('state');
    expect(seen).toEqual([]);
    broker.releaseRetained();
    expect(seen).toEqual(['pid 1 retained']);
  });

  it('takes the broker’s retained copy after a reconnect: what changed while offline was missed live', () => {
    const { dsp, bus, seenBy } = setUp();
    const seen = seenBy('state');
    dsp.publish('service.status', { service: 'dsp' }, status(1));
    bus.setOnline(false);
    dsp.publish('service.status', { service: 'dsp' }, status(2));
    bus.setOnline(true);
    expect(seen).toEqual(['pid 1', 'pid 2 retained']);
    expect(seenBy('monitor')).toEqual(['pid 2 retained']);
  });

  it('forgets a topic no filter covers any more, so a later subscription gets the broker’s current copy', () => {
    const { broker, dsp, bus, seenBy } = setUp();
    seenBy('state');
    dsp.publish('service.status', { service: 'dsp' }, status(1));
    bus.unsubscribeAll('state');
    dsp.publish('service.status', { service: 'dsp' }, status(2));
    broker.holdRetained();
    const seen = seenBy('again');
    broker.releaseRetained();
    expect(seen, 'pid 1 was live once but is stale now: only the broker’s pid 2').toEqual(['pid 2 retained']);
  });

  it('keeps a live clearing: a late retained copy of a cleared topic does not bring it back', () => {
    const { broker, bus, seenBy } = setUp();
    broker.publishRaw('voxbus/dsp/status', JSON.stringify(status(1)), true);
    broker.holdRetained();
    const seen = seenBy('state');
    broker.publishRaw('voxbus/dsp/status', '', true);
    broker.releaseRetained();
    // The empty message is invalid for the contract (counted), the stale pid 1 is not delivered.
    expect(seen).toEqual([]);
    expect(bus.counters().invalidReceived).toEqual({ 'service.status': 1 });
    expect(seenBy('monitor')).toEqual([]);
  });
});
