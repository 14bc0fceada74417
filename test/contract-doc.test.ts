import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { CONTRACT, renderContractDoc, renderContractJson, TOPIC_KEYS } from '@voxbus/shared';
import { REPO_ROOT } from './helpers/processes.js';

describe('docs/contract.md', () => {
  const onDisk = readFileSync(join(REPO_ROOT, 'docs', 'contract.md'), 'utf8');

  it('is what the contract map generates (run `npm run build && npm run contract:doc` when this fails)', () => {
    expect(onDisk).toBe(renderContractDoc());
  });

  it('documents every topic with its full path and every JSON schema', () => {
    for (const key of TOPIC_KEYS) expect(onDisk).toContain(`\`voxbus/${CONTRACT[key].path}\``);
    expect(onDisk).toContain('"additionalProperties": false');
    expect(onDisk).toContain('| 24 | 8 | u64 LE | `captureTimeUs` |');
  });
});

describe('docs/contract.json', () => {
  const onDisk = readFileSync(join(REPO_ROOT, 'docs', 'contract.json'), 'utf8');

  it('is what the contract map generates (run `npm run build && npm run contract:doc` when this fails)', () => {
    expect(onDisk).toBe(renderContractJson());
  });

  it("holds every topic, and its schemas validate payloads with a standard validator as the project's own code does", () => {
    const contract = JSON.parse(onDisk) as { contractVersion: number; topics: Record<string, { path: string; payload: string; schema?: object }> };
    expect(Object.keys(contract.topics)).toEqual([...TOPIC_KEYS]);
    for (const key of TOPIC_KEYS) expect(contract.topics[key]?.path, key).toBe(CONTRACT[key].path);
    const ajv = new Ajv({ strict: false });
    const item = ajv.compile(contract.topics['playback.event.item']?.schema as object);
    const heard = { kind: 'flushed', itemId: 'item_1', responseId: 'resp_1', heardMs: 655, receivedMs: 1500, enteredDeviceUs: null, timeUs: 5_000_000 };
    expect(item(heard), JSON.stringify(item.errors)).toBe(true);
    expect(item({ ...heard, extra: 1 })).toBe(false);
    expect(item({ ...heard, kind: 'finished' })).toBe(false);
  });
});
