/** The acoustic path from the board's speaker back into its microphone. */
export interface EchoOptions {
  /** How much later the microphone hears the speaker, ms (40 by default). */
  readonly delayMs?: number;
  /** The echo's level against what the speaker plays, dB (-6 by default: a speaker a few cm from the microphone). */
  readonly gainDb?: number;
  /** A room's reverberant tail after the direct sound, as a small, furnished room has. */
  readonly reverb?: boolean;
}

export interface RunningEcho {
  readonly options: Required<EchoOptions>;
  stop(): Promise<void>;
}

type Pactl = (...args: string[]) => Promise<string>;

/**
 * The room: TAP's reverberator (LADSPA, Debian's tap-plugins) as a PulseAudio sink in front of
 * the microphone: the direct sound at 0 dB, a reverberant tail 10 dB under it dying away over
 * 600 ms ("Ambience"). Inside the sound server, so the tail keeps its place behind the direct
 * sound however busy the machine is (a parec | sox | pacat pipeline drifted by seconds under
 * load, and its late copy of a reply sounded like a person talking).
 */
const ROOM = { plugin: 'tap_reverb', control: [600, 0, -10, 1, 1, 1, 0, 2] };

/**
 * Starts an echo path on the virtual board's sound server: PulseAudio's module-loopback from the
 * speaker's monitor (`latency_msec` is the delay it holds; the loopback adapts its rate to hold
 * it, so the path wanders by about a millisecond, as two devices' clocks drift) with its
 * stream's volume at `gainDb`, into the microphone, or into the room in front of it.
 */
export async function startEcho(pactl: Pactl, echo: EchoOptions): Promise<RunningEcho> {
  const options: Required<EchoOptions> = { delayMs: echo.delayMs ?? 40, gainDb: echo.gainDb ?? -6, reverb: echo.reverb ?? false };
  const modules: string[] = [];
  const stop = async () => {
    for (const module of modules.splice(0).reverse()) await pactl('unload-module', module);
  };
  try {
    let sink = 'mic';
    if (options.reverb) {
      sink = 'voxbus_room';
      modules.push(
        await pactl('load-module', 'module-ladspa-sink', `sink_name=${sink}`, 'sink_master=mic', `plugin=${ROOM.plugin}`, `label=${ROOM.plugin}`, `control=${ROOM.control.join(',')}`).catch(
          (error: Error) => {
            throw new Error(`the room's reverberator did not load (deploy/setup.sh --test installs tap-plugins): ${error.message}`);
          },
        ),
      );
    }
    const loopback = await pactl('load-module', 'module-loopback', 'source=spk.monitor', `sink=${sink}`, `latency_msec=${options.delayMs}`);
    modules.push(loopback);
    await pactl('set-sink-input-volume', sinkInputOf(await pactl('list', 'sink-inputs'), loopback), `${options.gainDb}dB`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { options, stop };
}

/** The index of the sink input a module owns, from `pactl list sink-inputs`. */
export function sinkInputOf(listing: string, module: string): string {
  for (const block of listing.split(/\n(?=Sink Input #)/)) {
    const index = /^Sink Input #(\d+)/.exec(block.trim())?.[1];
    if (index !== undefined && new RegExp(`Owner Module: ${module}\\b`).test(block)) return index;
  }
  throw new Error(`no sink input of module ${module} in:\n${listing}`);
}
