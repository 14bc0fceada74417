import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload, RecordableStream } from '@voxbus/shared';

export type RecordingFile = Payload<'recorder.state'>['files'][number];

const INDEX = 'index.json';

/**
 * The recordings folder: the WAV files and an index of them (what stream each is, when it was
 * made, frames lost), so a restarted recorder lists what is there without reading every file.
 * A file deleted by hand drops out of the list; the index is replaced whole, never half-written.
 */
export class RecordingsFolder {
  private files: RecordingFile[];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.files = this.readIndex().filter((file) => existsSync(this.pathOf(file.name)));
  }

  list(): readonly RecordingFile[] {
    return this.files;
  }

  usedBytes(): number {
    return this.files.reduce((sum, file) => sum + file.bytes, 0);
  }

  has(name: string): boolean {
    return this.files.some((file) => file.name === name);
  }

  /** Writes a recording's WAV and lists it. */
  add(file: Omit<RecordingFile, 'bytes'>, wav: Uint8Array): RecordingFile {
    writeFileSync(this.pathOf(file.name), wav);
    const written = { ...file, bytes: statSync(this.pathOf(file.name)).size };
    this.files = [...this.files.filter((f) => f.name !== file.name), written];
    this.writeIndex();
    return written;
  }

  /** Deletes a recording; false when there is none of that name. */
  delete(name: string): boolean {
    if (!this.has(name)) return false;
    rmSync(this.pathOf(name), { force: true });
    this.files = this.files.filter((file) => file.name !== name);
    this.writeIndex();
    return true;
  }

  pathOf(name: string): string {
    return join(this.dir, `${name}.wav`);
  }

  private readIndex(): RecordingFile[] {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, INDEX), 'utf8')) as unknown;
      return Array.isArray(parsed) ? (parsed as RecordingFile[]) : [];
    } catch {
      // No index yet, or a broken one: the folder starts as listing nothing (the WAVs stay).
      return [];
    }
  }

  private writeIndex(): void {
    const temporary = join(this.dir, `${INDEX}.tmp`);
    writeFileSync(temporary, JSON.stringify(this.files));
    renameSync(temporary, join(this.dir, INDEX));
  }
}

/** `mic-20261127-041500`: a name for a recording nobody named. */
export function defaultName(stream: RecordableStream, atMs: number): string {
  const at = new Date(atMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${stream}-${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
}
