import { parseArgs } from 'node:util';
import type { Payload } from '../../bus/bus.js';
import { errorMessage } from '../../errors.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { table } from '../terminal.js';

interface DeviceInfo {
  readonly name: string;
  readonly description: string;
  readonly direction: 'capture' | 'playback' | 'both';
}

/** The ALSA addon, loaded only here: the rest of the command line runs where it is not built. */
async function listAlsaDevices(): Promise<DeviceInfo[]> {
  const name = '@voxbus/alsa';
  const alsa = (await import(name)) as { AlsaBackend: new () => { listDevices(): DeviceInfo[] } };
  return new alsa.AlsaBackend().listDevices();
}

type DeviceState = Payload<'audio-capture.state'>;

/**
 * `voxbus devices`: ALSA's capture and playback devices (native/alsa's listing, the names the
 * `device` settings take), and, when the bus answers, which of them audio-capture and playback
 * have open and the format each was granted (their retained states). --no-bus lists only.
 */
export async function devices(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...BUS_OPTIONS, 'no-bus': { type: 'boolean' } } });
  let listed: DeviceInfo[];
  try {
    listed = await listAlsaDevices();
  } catch (error) {
    console.error(`voxbus devices: cannot list ALSA devices here: ${errorMessage(error)} (run it where audio-capture runs, with native/alsa built)`);
    return 1;
  }
  const inUse = new Map<string, string[]>();
  if (!values['no-bus']) {
    try {
      const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
      try {
        for (const service of ['audio-capture', 'playback'] as const) {
          const state = (await bus.retained(`${service}/state`)) as DeviceState | undefined;
          if (state === undefined) continue;
          const granted = state.granted ? `${state.granted.sampleRateHz} Hz ${state.granted.channels} ch ${state.granted.sampleFormat}` : state.error ? `${state.error.code}` : state.state;
          inUse.set(state.device, [...(inUse.get(state.device) ?? []), `${service}: ${granted}`]);
        }
      } finally {
        await bus.close();
      }
    } catch (error) {
      console.error(`voxbus devices: the bus did not answer (${errorMessage(error)}); listing ALSA's devices only`);
    }
  }
  const rows = listed.map((d) => [d.name, d.direction, (inUse.get(d.name) ?? []).join('; '), d.description.replaceAll('\n', ' ')]);
  // A configured device ALSA does not list (a plugin name, a typo) is shown too: it is the one to look at.
  for (const [device, uses] of inUse) if (!listed.some((d) => d.name === device)) rows.push([device, '(not listed)', uses.join('; '), '']);
  console.log(table([['device', 'direction', 'in use (granted format)', 'description'], ...rows]));
  return 0;
}
