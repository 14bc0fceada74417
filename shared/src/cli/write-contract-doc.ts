#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderContractDoc } from '../contract/render-doc.js';
import { renderContractJson } from '../contract/render-json.js';

/** Writes docs/contract.md and docs/contract.json at the repository root (npm run contract:doc). */
const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs');
for (const [name, text] of [
  ['contract.md', renderContractDoc()],
  ['contract.json', renderContractJson()],
] as const) {
  writeFileSync(join(docs, name), text);
  console.log(`wrote ${join(docs, name)}`);
}
