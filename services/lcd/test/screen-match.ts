import { PNG } from 'pngjs';
import { waitFor } from '../../../test/helpers/wait.js';
import { DEFAULT_FONT_FILES, LCD_DEFAULTS } from '../src/config.js';
import { loadFonts } from '../src/fonts.js';
import { layoutScreen } from '../src/layout.js';
import type { Rect } from '../src/pixel-format.js';
import { ScreenRenderer } from '../src/renderer.js';
import { EMPTY_SCREEN, reduceScreen, type ScreenEvent } from '../src/screen-model.js';
import { imageDifference, MAX_DIFFERENT_FRACTION } from './image-diff.js';

/**
 * Checks on what a running lcd shows: the picture it should show after some bus events, drawn
 * in the test's process by the same renderer, compared within the golden images' tolerance.
 */
const fontFamily = loadFonts(DEFAULT_FONT_FILES).family;

/** Options a test may pass: regions whose content races the check (the meter's live levels). */
export interface MatchOptions {
  readonly ignore?: readonly ('status' | 'transcript' | 'meter' | 'health')[];
}

export function expectedPicture(events: readonly ScreenEvent[], widthPx: number, heightPx: number): PNG {
  const screen = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx, heightPx, fontFamily });
  screen.render(events.reduce(reduceScreen, EMPTY_SCREEN));
  const png = new PNG({ width: widthPx, height: heightPx });
  png.data.set(screen.pixels({ x: 0, y: 0, width: widthPx, height: heightPx }));
  return png;
}

function blank(png: PNG, rect: Rect): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) png.data.fill(0, (y * png.width + rect.x) * 4, (y * png.width + rect.x + rect.width) * 4);
}

/** Waits until `read` gives a picture matching `events()`; on timeout says how far off the last one was. */
export async function showsEventually(what: string, read: () => PNG | undefined, events: () => readonly ScreenEvent[], options: MatchOptions = {}, timeoutMs = 8000): Promise<void> {
  let last = 1;
  await waitFor(
    what,
    () => {
      const actual = read();
      if (!actual) return undefined;
      const expected = expectedPicture(events(), actual.width, actual.height);
      const { bands } = layoutScreen({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx: actual.width, heightPx: actual.height });
      for (const region of options.ignore ?? []) {
        blank(actual, bands[region]);
        blank(expected, bands[region]);
      }
      last = imageDifference(actual, expected).fraction;
      return last < MAX_DIFFERENT_FRACTION || undefined;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last frame: ${(last * 100).toFixed(1)} % of pixels off)`);
  });
}

/** The screen events in what a probe on `voxbus/#` received, in order (as the lcd received them). */
export function eventsFromBus(messages: readonly { topic: string; json: unknown }[]): ScreenEvent[] {
  const events: ScreenEvent[] = [{ type: 'bus', connected: true }];
  for (const { topic, json } of messages) {
    if (json === undefined) continue;
    if (topic === 'voxbus/conversation/state') events.push({ type: 'conversation', state: json as never });
    else if (topic === 'voxbus/realtime-gateway/event/transcript') events.push({ type: 'transcript', message: json as never });
    else if (topic === 'voxbus/dsp/event/levels') events.push({ type: 'levels', levels: json as never });
    else if (topic === 'voxbus/audio-capture/state') events.push({ type: 'device', device: 'microphone', ok: (json as { state: string }).state !== 'error' });
    else if (topic === 'voxbus/playback/state') events.push({ type: 'device', device: 'speaker', ok: (json as { state: string }).state !== 'error' });
    else if (/^voxbus\/[a-z0-9-]+\/status$/.test(topic)) {
      const status = json as { service: string; status: string };
      events.push({ type: 'status', service: status.service, online: status.status === 'online' });
    }
  }
  return events;
}
