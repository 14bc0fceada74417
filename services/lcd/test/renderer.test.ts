import { ConfigError } from '@voxbus/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FONT_FILES, LCD_DEFAULTS } from '../src/config.js';
import { loadFonts } from '../src/fonts.js';
import { ScreenRenderer } from '../src/renderer.js';
import { EMPTY_SCREEN, reduceScreen, type ScreenEvent } from '../src/screen-model.js';
import { conversation, healthy, levels, transcript } from './scenarios.js';

const fontFamily = loadFonts(DEFAULT_FONT_FILES).family;
const renderer = (widthPx = 240, heightPx = 280) => new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx, heightPx, fontFamily });
const run = (...events: ScreenEvent[]) => events.reduce(reduceScreen, EMPTY_SCREEN);

describe('the renderer', () => {
  it('draws everything once, then only the regions whose content changed', () => {
    const screen = renderer();
    let model = run(...healthy, conversation('assistantSpeaking'), transcript('assistant', 'Hello', 'a1', 'delta'));
    const first = screen.render(model);
    expect(first.map((r) => r.height).reduce((a, b) => a + b)).toBe(280);
    expect(screen.render(model)).toEqual([]);

    const layout = screen.layout.bands;
    const statusBefore = Buffer.from(screen.pixels(layout.status));
    model = reduceScreen(model, levels(-20, -12, false));
    expect(screen.render(model)).toEqual([layout.meter]);
    // A level that moves the bars by less than a dB draws nothing.
    expect(screen.render(reduceScreen(model, levels(-20.2, -12.1, false)))).toEqual([]);
    model = reduceScreen(model, transcript('assistant', ' there', 'a1', 'delta'));
    expect(screen.render(model)).toEqual([layout.transcript]);
    model = reduceScreen(model, conversation('listening'));
    expect(screen.render(model)).toEqual([layout.status]);
    expect(Buffer.from(screen.pixels(layout.status)).equals(statusBefore)).toBe(false);
  });

  it('refuses a screen too small for its fonts with a configuration error that says why', () => {
    expect(() => renderer(64, 64)).toThrow(ConfigError);
    expect(() => renderer(64, 64)).toThrow(/no room for two lines of transcript/);
  });
});
