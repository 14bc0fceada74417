#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderContractDoc } from '../contract/render-doc.js';

/** Writes docs/contract.md at the repository root (npm run contract:doc). */
const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'contract.md');
writeFileSync(target, renderContractDoc());
console.log(`wrote ${target}`);
