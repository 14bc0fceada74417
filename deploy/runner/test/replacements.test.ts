import { describe, expect, it } from 'vitest';
import { parseReplacements, replaceEnvName } from '../src/replacements.js';

const KNOWN = ['broker', 'audio-capture', 'playback'];

describe("the runner's replacements (a service in any language)", () => {
  it('takes VOXBUS_REPLACE_<SERVICE> and --replace name=command, the option winning', () => {
    const { commands, problems } = parseReplacements(
      ['playback=/usr/bin/python3 examples/playback-python/playback.py --quiet'],
      { VOXBUS_REPLACE_AUDIO_CAPTURE: ' ./my-capture --device hw:1 ', VOXBUS_REPLACE_PLAYBACK: 'old-playback' },
      KNOWN,
    );
    expect(problems).toEqual([]);
    expect([...commands]).toEqual([
      ['audio-capture', './my-capture --device hw:1'],
      ['playback', '/usr/bin/python3 examples/playback-python/playback.py --quiet'],
    ]);
    expect(replaceEnvName('audio-capture')).toBe('VOXBUS_REPLACE_AUDIO_CAPTURE');
  });

  it('names what is wrong: an unknown service, a missing command, a variable for no service', () => {
    const { commands, problems } = parseReplacements(['speaker=./x', 'playback=', 'playback'], { VOXBUS_REPLACE_SPEAKER: './y' }, KNOWN);
    expect(commands.size).toBe(0);
    expect(problems).toEqual([
      '--replace speaker: no service named speaker to replace (found: broker, audio-capture, playback)',
      '--replace playback=: write it as --replace <service>=<command line>',
      '--replace playback: write it as --replace <service>=<command line>',
      'VOXBUS_REPLACE_SPEAKER: no service by that name to replace (found: VOXBUS_REPLACE_BROKER, VOXBUS_REPLACE_AUDIO_CAPTURE, VOXBUS_REPLACE_PLAYBACK)',
    ]);
  });
});
