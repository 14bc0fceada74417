import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';

export const RecorderConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: 'run the recorder (the run command starts it only when this is set)' }),
    dir: Type.String({ minLength: 1, description: 'the folder the WAV files go to (made if missing)' }),
    maxFileMb: Type.Number({ exclusiveMinimum: 0, maximum: 1024, description: 'a recording stops when its audio reaches this many MiB (kept in memory until written)' }),
    maxTotalMb: Type.Number({ exclusiveMinimum: 0, maximum: 65_536, description: 'a recording is refused while the folder\'s recordings take this many MiB: delete some' }),
  },
  { additionalProperties: false },
);

export type RecorderConfig = Static<typeof RecorderConfigSchema>;

export const RECORDER_DEFAULTS: RecorderConfig = {
  enabled: true,
  dir: join(tmpdir(), 'voxbus-recordings'),
  maxFileMb: 16,
  maxTotalMb: 128,
};
