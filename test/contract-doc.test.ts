import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT, renderContractDoc, TOPIC_KEYS } from '@voxbus/shared';
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
