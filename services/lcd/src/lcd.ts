import { type Bus, type Clock, type Logger, type MetricsRegistry, RateLimitedLog } from '@voxbus/shared';
import { subscribeScreenEvents } from './bus-input.js';
import type { LcdConfig } from './config.js';
import { Display } from './display.js';
import { loadFonts } from './fonts.js';
import { openOutputs } from './open-outputs.js';
import { ScreenRenderer } from './renderer.js';
import { EMPTY_SCREEN, followsService, reduceScreen } from './screen-model.js';
import { chooseSystemFonts, systemFontsNeeded } from './skia.js';

export interface LcdDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

/**
 * The screen service: outputs opened, fonts loaded, the bus folded into the screen model, frames
 * drawn by the display loop. The first frame waits for the retained conversation state (it
 * comes within milliseconds of subscribing) up to `statusTimeoutMs`, so a restart does not
 * flash an empty screen first.
 */
export async function startLcd(config: LcdConfig, deps: LcdDeps): Promise<{ stop(): Promise<void> }> {
  const { bus, clock, log, metrics } = deps;
  chooseSystemFonts(systemFontsNeeded(config.fonts.files));
  const fonts = loadFonts(config.fonts.files);
  if (fonts.missing.length > 0) {
    log.error({ missing: fonts.missing }, 'font files not found: text falls back to the system font (Debian: apt install fonts-dejavu-core fonts-droid-fallback)');
  }
  const { outputs, widthPx, heightPx } = await openOutputs(config, log);
  const renderer = new ScreenRenderer({ ...config.fonts, widthPx, heightPx, margins: config.margins, colours: config.colours, fontFamily: fonts.family });
  const display = new Display({ renderer, outputs, clock, log, metrics, refreshHz: config.refreshHz });

  let model = EMPTY_SCREEN;
  let holding = outputs.length > 0;
  const release = () => {
    holding = false;
    hold.cancel();
    display.show(model);
  };
  const hold = clock.setTimer('lcd first frame', config.statusTimeoutMs, release);
  const events = metrics.counter('events.in');
  const ignored = metrics.counter('status.ignored');
  const ignoredLog = new RateLimitedLog(log, 10_000, () => clock.monotonicUs() / 1000);
  const unsubscribe = subscribeScreenEvents(bus, (event) => {
    events.inc();
    if (event.type === 'status' && !followsService(model, event.service)) {
      ignored.inc();
      ignoredLog.warn('status ignored', { service: event.service, followed: Object.keys(model.services).length }, 'a status from one service too many: not shown (the screen follows the project\'s services and a few others)');
      return;
    }
    const next = reduceScreen(model, event);
    // Nothing changed: no frame to draw.
    if (next === model) return;
    model = next;
    if (holding && event.type === 'conversation') release();
    else if (!holding && outputs.length > 0) display.show(model);
  });
  if (!holding) hold.cancel();
  return {
    async stop() {
      hold.cancel();
      unsubscribe();
      await display.stop();
    },
  };
}
