import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '@voxbus/shared';

const Colour = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '`#rrggbb`' });
const Px = (description: string) => Type.Integer({ minimum: 0, maximum: 512, description });

export const PIXEL_FORMATS = ['auto', 'rgb565', 'bgr565', 'xrgb8888', 'xbgr8888'] as const;

export const LcdConfigSchema = Type.Object(
  {
    framebuffer: Type.Object(
      {
        device: Type.String({ description: 'the framebuffer device (`/dev/fb0`; an SPI panel driven by fbtft is one too); empty: none' }),
        pixelFormat: StringEnum([...PIXEL_FORMATS], {
          description: '`auto`: from the bits per pixel the device reports (16: rgb565, 32: xrgb8888); `bgr565`/`xbgr8888` for panels wired blue-first',
        }),
        sysfsDir: Type.String({
          description: 'where the kernel describes framebuffers (geometry is read from `<sysfsDir>/<fbN>/virtual_size`, `bits_per_pixel`, `stride`)',
        }),
      },
      { additionalProperties: false },
    ),
    png: Type.Object(
      {
        path: Type.String({ description: 'a PNG file rewritten (atomically) with each frame, for headless boards and monitors; empty: none' }),
        when: StringEnum(['always', 'fallback'], { description: '`fallback`: only when the framebuffer cannot be used' }),
      },
      { additionalProperties: false },
    ),
    widthPx: Type.Integer({ minimum: 64, maximum: 4096, description: 'picture width for the PNG output; a framebuffer draws at its own geometry (after rotation)' }),
    heightPx: Type.Integer({ minimum: 64, maximum: 4096, description: 'picture height for the PNG output' }),
    rotationDeg: Type.Union([Type.Literal(0), Type.Literal(90), Type.Literal(180), Type.Literal(270)], {
      description: 'clockwise turn from the picture to the panel (a portrait picture on a landscape panel: 90 or 270); applies to the framebuffer only',
    }),
    margins: Type.Object(
      { topPx: Px('top'), rightPx: Px('right'), bottomPx: Px('bottom'), leftPx: Px('left') },
      { additionalProperties: false, description: 'kept clear of text and meters (rounded corners, a bezel)' },
    ),
    fonts: Type.Object(
      {
        files: Type.Array(Type.String({ minLength: 1 }), {
          minItems: 1,
          description: 'font files, the first for text, the rest for characters it lacks (CJK); a missing file is logged and skipped',
        }),
        textSizePx: Type.Integer({ minimum: 6, maximum: 96 }),
        stateSizePx: Type.Integer({ minimum: 6, maximum: 160, description: 'the state line (Listening, Speaking…)' }),
      },
      { additionalProperties: false },
    ),
    colours: Type.Object(
      {
        background: Colour,
        text: Colour,
        dim: Colour,
        user: Colour,
        assistant: Colour,
        meter: Colour,
        voice: Colour,
        warning: Colour,
        active: Colour,
        idle: Colour,
      },
      { additionalProperties: false, description: '`active`: listening/speaking; `idle`: ended, paused, connecting; `warning`: offline, errors' },
    ),
    refreshHz: Type.Number({ minimum: 0.5, maximum: 60, description: 'at most this many frames a second; changes in between are drawn together' }),
    statusTimeoutMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      description: 'at start, how long to wait for the retained state before drawing without it (the first frame is drawn as soon as it arrives)',
    }),
  },
  { additionalProperties: false },
);

export type LcdConfig = Static<typeof LcdConfigSchema>;
export type Colours = LcdConfig['colours'];

/** Debian/Ubuntu fonts (fonts-dejavu-core, fonts-droid-fallback's DroidSansFallback.ttf: Chinese, Japanese and Korean; its "Full" sibling lacks Hangul). */
export const DEFAULT_FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf'];

export const LCD_DEFAULTS: LcdConfig = {
  framebuffer: { device: '/dev/fb0', pixelFormat: 'auto', sysfsDir: '/sys/class/graphics' },
  png: { path: '/tmp/voxbus-lcd.png', when: 'fallback' },
  // The .NET predecessor's panel: a 240×280 SPI display with rounded corners.
  widthPx: 240,
  heightPx: 280,
  rotationDeg: 0,
  // The .NET predecessor's corner margin on the same panel (its corners are rounded).
  margins: { topPx: 15, rightPx: 15, bottomPx: 15, leftPx: 15 },
  fonts: { files: DEFAULT_FONT_FILES, textSizePx: 15, stateSizePx: 24 },
  colours: {
    background: '#000000',
    text: '#f2f2f2',
    dim: '#8a8a8a',
    user: '#7cc4ff',
    assistant: '#f2f2f2',
    meter: '#3fae5a',
    voice: '#ffd24a',
    warning: '#ff5a4f',
    active: '#3fae5a',
    idle: '#5a7bd6',
  },
  refreshHz: 10,
  statusTimeoutMs: 500,
};
