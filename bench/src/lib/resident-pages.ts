import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const PAGE_BYTES = 4096;
/** A pagemap entry: bit 63 says the page is in RAM, bits 0–54 are its frame number (root only). */
const PRESENT = 1n << 63n;
const PFN_MASK = (1n << 55n) - 1n;
/** Pagemap entries read at a time (64 KiB). */
const ENTRIES_PER_READ = 8192;

export interface ProcessMemory {
  readonly pid: number;
  readonly pssBytes: number;
  readonly rssBytes: number;
  /** Pages mapped by this process alone (private clean + dirty). */
  readonly ussBytes: number;
}

/**
 * PSS, RSS and USS of one process from /proc/PID/smaps_rollup; undefined once it is gone.
 */
export function processMemory(pid: number): ProcessMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { pid, pssBytes: kb('Pss'), rssBytes: kb('Rss'), ussBytes: kb('Private_Clean') + kb('Private_Dirty') };
}

/**
 * The memory a set of processes holds together as the board pays it: every resident page
 * counted once however many of them map it (Node's binary, shared libraries, a file both
 * read). From /proc/PID/pagemap's physical frame numbers, which only root can read: without
 * them (every frame reads as 0) this returns undefined rather than a wrong figure.
 *
 * Only the mappings smaps says have resident pages are walked (V8 reserves gigabytes it never
 * touches).
 */
export function unionResidentBytes(pids: readonly number[]): number | undefined {
  const frames = new Set<bigint>();
  let presentWithoutFrame = 0;
  for (const pid of pids) {
    let smaps: string;
    let pagemap: number;
    try {
      smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
      pagemap = openSync(`/proc/${pid}/pagemap`, 'r');
    } catch {
      continue; // gone meanwhile
    }
    try {
      for (const [startPage, pageCount] of residentMappings(smaps)) {
        const buffer = Buffer.alloc(Math.min(pageCount, ENTRIES_PER_READ) * 8);
        for (let done = 0; done < pageCount; ) {
          const count = Math.min(pageCount - done, ENTRIES_PER_READ);
          const read = readSync(pagemap, buffer, 0, count * 8, (startPage + done) * 8);
          const entries = new BigUint64Array(buffer.buffer, buffer.byteOffset, read / 8);
          for (const entry of entries) {
            if ((entry & PRESENT) === 0n) continue;
            const frame = entry & PFN_MASK;
            if (frame === 0n) presentWithoutFrame++;
            else frames.add(frame);
          }
          if (read < count * 8) break;
          done += count;
        }
      }
    } catch {
      // The process exited while it was read: what was read counts.
    } finally {
      closeSync(pagemap);
    }
  }
  if (frames.size === 0 && presentWithoutFrame > 0) return undefined;
  return frames.size * PAGE_BYTES;
}

/** [first page, page count] of each mapping with resident pages, from /proc/PID/smaps. */
function* residentMappings(smaps: string): Generator<[number, number]> {
  let range: [number, number] | undefined;
  for (const line of smaps.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header !== null) {
      const start = Number.parseInt(header[1] as string, 16) / PAGE_BYTES;
      const end = Number.parseInt(header[2] as string, 16) / PAGE_BYTES;
      range = [start, end - start];
      continue;
    }
    if (range !== undefined && line.startsWith('Rss:')) {
      if (!/^Rss:\s+0 kB/.test(line)) yield range;
      range = undefined;
    }
  }
}

/**
 * Where a process's memory is, by mapping (a file, or the kind of anonymous memory: V8's heap
 * shows as anonymous mappings, malloc's as [heap]): PSS and RSS summed per name, the largest first.
 */
export function mappingBreakdown(pid: number, top = 12): { name: string; pssKiB: number; rssKiB: number }[] {
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  const byName = new Map<string, { pssKiB: number; rssKiB: number }>();
  let name = '';
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      name = header[1] === '' ? '[anonymous]' : (header[1] as string).replace(/^.*\/node_modules\//, 'node_modules/');
      continue;
    }
    const field = /^(Pss|Rss):\s+(\d+) kB/.exec(line);
    if (field === null) continue;
    const entry = byName.get(name) ?? { pssKiB: 0, rssKiB: 0 };
    if (field[1] === 'Pss') entry.pssKiB += Number(field[2]);
    else entry.rssKiB += Number(field[2]);
    byName.set(name, entry);
  }
  return [...byName.entries()]
    .map(([mapping, sizes]) => ({ name: mapping, ...sizes }))
    .sort((a, b) => b.pssKiB - a.pssKiB)
    .slice(0, top);
}
