import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT, EVERY_SERVICE_PUBLISHES, KNOWN_SERVICES, SERVICE_PUBLISHES, STANDS_IN_FOR, type TopicKey, USER_COMMANDS } from '@voxbus/shared';
import { REPO_ROOT } from '../../../test/helpers/processes.js';

/** The contract keys a service's sources publish on (the first argument of every `.publish(` call). */
function publishedBy(service: string): Set<string> {
  const dir = join(REPO_ROOT, 'services', service, 'src');
  const keys = new Set<string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const call of text.matchAll(/\.publish\(\s*([^,]*?),/g)) {
      for (const literal of (call[1] ?? '').matchAll(/'([a-z-]+(?:\.[a-z-]+)+)'/g)) if (literal[1] && literal[1] in CONTRACT) keys.add(literal[1]);
    }
  }
  return keys;
}

describe('the access table (shared/src/contract/access.ts) against the code', () => {
  it('finds the publish calls at all', () => {
    expect(KNOWN_SERVICES.reduce((sum, service) => sum + publishedBy(service).size, 0), 'contract keys found in publish calls: the scan is wrong').toBeGreaterThan(25);
  });

  it.each(KNOWN_SERVICES)('allows %s exactly the topics its sources publish on, besides its own', (service) => {
    // A stand-in (the telephony bridge's audio-capture and playback) publishes theirs under its login.
    const standIns = (STANDS_IN_FOR[service] ?? []).flatMap((name) => SERVICE_PUBLISHES[name]);
    const allowed = new Set<string>([...EVERY_SERVICE_PUBLISHES, ...SERVICE_PUBLISHES[service], ...standIns]);
    const published = publishedBy(service);
    expect([...published].filter((key) => !allowed.has(key)), `published by ${service} but not allowed to it`).toEqual([]);
    expect(SERVICE_PUBLISHES[service].filter((key) => !published.has(key)), `allowed to ${service} but never published by it`).toEqual([]);
  });

  it('names only contract topics, and gives every command of the contract to some role', () => {
    const named = [...EVERY_SERVICE_PUBLISHES, ...USER_COMMANDS, ...Object.values(SERVICE_PUBLISHES).flat()];
    expect(named.filter((key) => !(key in CONTRACT))).toEqual([]);
    const commands = (Object.keys(CONTRACT) as TopicKey[]).filter((key) => key.includes('.cmd.'));
    expect(commands.filter((key) => !named.includes(key))).toEqual([]);
  });
});
