import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import type { Colours } from './config.js';
import { type Layout, layoutScreen, type LayoutInput, type RegionName } from './layout.js';
import type { Rect } from './pixel-format.js';
import type { ScreenModel } from './screen-model.js';
import { type HealthView, type MeterView, type ScreenView, screenView, type StatusView, type TranscriptView } from './screen-view.js';
import { skia } from './skia.js';
import { wrapText } from './text-wrap.js';

export interface RendererOptions extends LayoutInput {
  /** A CSS font-family list (from loadFonts). */
  readonly fontFamily: string;
  readonly colours: Colours;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const REGIONS: readonly RegionName[] = ['status', 'transcript', 'meter', 'health'];
/** The meter's range: −60 dBFS (a quiet room) is empty, 0 full. */
const METER_FLOOR_DBFS = -60;

/**
 * Draws the screen on a canvas, region by region: a region is redrawn only when what it shows
 * (its view, plain data) changed since it was last drawn, and `render` says which bands those
 * were so the outputs copy only them.
 */
export class ScreenRenderer {
  readonly canvas: Canvas;
  readonly layout: Layout;
  private readonly ctx: SKRSContext2D;
  private readonly drawn = new Map<RegionName, string>();
  private readonly textFont: string;
  private readonly smallFont: string;
  private readonly stateFont: string;

  constructor(private readonly options: RendererOptions) {
    this.layout = layoutScreen(options);
    this.canvas = skia().createCanvas(options.widthPx, options.heightPx);
    this.ctx = this.canvas.getContext('2d');
    this.textFont = `${options.textSizePx}px ${options.fontFamily}`;
    this.smallFont = `${Math.max(6, Math.round(options.textSizePx * 0.75))}px ${options.fontFamily}`;
    this.stateFont = `bold ${options.stateSizePx}px ${options.fontFamily}`;
    this.ctx.fillStyle = options.colours.background;
    this.ctx.fillRect(0, 0, options.widthPx, options.heightPx);
  }

  get widthPx(): number {
    return this.options.widthPx;
  }

  get heightPx(): number {
    return this.options.heightPx;
  }

  /** Draws what changed; returns the bands drawn (none when the picture is unchanged). */
  render(model: ScreenModel): Rect[] {
    const view = screenView(model);
    const dirty: Rect[] = [];
    for (const region of REGIONS) {
      const signature = JSON.stringify(view[region]);
      if (this.drawn.get(region) === signature) continue;
      this.drawn.set(region, signature);
      this.drawRegion(region, view);
      dirty.push(this.layout.bands[region]);
    }
    return dirty;
  }

  /** The RGBA pixels of a rectangle, row by row. */
  pixels(rect: Rect): Uint8ClampedArray {
    return this.ctx.getImageData(rect.x, rect.y, rect.width, rect.height).data;
  }

  /** Encoded off the main thread (Skia's encoder runs on the libuv pool). */
  png(): Promise<Buffer> {
    return this.canvas.encode('png');
  }

  private drawRegion(region: RegionName, view: ScreenView): void {
    const band = this.layout.bands[region];
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(band.x, band.y, band.width, band.height);
    ctx.clip();
    ctx.fillStyle = this.options.colours.background;
    ctx.fillRect(band.x, band.y, band.width, band.height);
    ctx.textBaseline = 'top';
    switch (region) {
      case 'status':
        this.drawStatus(view.status, this.layout.content.status);
        break;
      case 'transcript':
        this.drawTranscript(view.transcript, this.layout.content.transcript);
        break;
      case 'meter':
        this.drawMeter(view.meter, this.layout.content.meter);
        break;
      case 'health':
        this.drawHealth(view.health, this.layout.content.health);
        break;
    }
    ctx.restore();
  }

  private drawStatus(status: StatusView, box: Rect): void {
    const ctx = this.ctx;
    const { colours, stateSizePx } = this.options;
    const toneColour = colours[status.tone];
    const radius = Math.round(stateSizePx * 0.3);
    const labelTop = box.y + 2;
    ctx.fillStyle = toneColour;
    ctx.beginPath();
    ctx.arc(box.x + radius, labelTop + Math.round(stateSizePx * 0.55), radius, 0, 2 * Math.PI);
    ctx.fill();
    const labelX = box.x + 2 * radius + Math.round(radius * 0.8);
    const labelWidth = box.x + box.width - labelX;
    // A label too long for the line is set smaller (to 70 %) before it is cut: "Conversation
    // ended" on a 240 px screen reads better whole and smaller than cut.
    let sizePx = stateSizePx;
    ctx.font = this.stateFont;
    while (sizePx > stateSizePx * 0.7 && ctx.measureText(status.label).width > labelWidth) {
      sizePx -= 1;
      ctx.font = `bold ${sizePx}px ${this.options.fontFamily}`;
    }
    ctx.fillText(this.fit(status.label, labelWidth), labelX, labelTop + Math.round((stateSizePx - sizePx) * 0.6));

    const detailTop = labelTop + Math.round(stateSizePx * 1.3);
    ctx.font = this.smallFont;
    const tags = status.tags.join(' · ');
    const tagsWidth = tags ? ctx.measureText(tags).width : 0;
    if (tags) {
      ctx.fillStyle = colours.warning;
      ctx.fillText(tags, box.x + box.width - tagsWidth, detailTop);
    }
    ctx.fillStyle = colours.dim;
    ctx.fillText(this.fit(status.detail, box.width - tagsWidth - (tags ? 8 : 0)), box.x, detailTop);
  }

  private drawTranscript(transcript: TranscriptView, box: Rect): void {
    const ctx = this.ctx;
    const { colours } = this.options;
    const lineHeight = this.layout.lineHeightPx;
    ctx.font = this.textFont;
    const measure = (text: string) => ctx.measureText(text).width;
    const lines: { text: string; colour: string }[] = [];
    const block = (text: string | null, colour: string) => {
      if (text === null) return;
      if (lines.length > 0) lines.push({ text: '', colour }); // an empty line between speakers
      for (const line of wrapText(text, box.width, measure)) lines.push({ text: line, colour });
    };
    block(transcript.notice, colours.warning);
    block(transcript.user, colours.user);
    block(transcript.assistant, colours.assistant);
    // Text longer than the region scrolls: the newest lines stay in view, as they stream in.
    const fits = Math.floor(box.height / lineHeight);
    const visible = lines.length > fits ? lines.slice(lines.length - fits) : lines;
    let y = box.y + Math.round((lineHeight - this.options.textSizePx) / 2);
    for (const line of visible) {
      ctx.fillStyle = line.colour;
      if (line.text) ctx.fillText(line.text, box.x, y);
      y += lineHeight;
    }
    if (visible.length < lines.length) {
      // Scrolled: a fade over the first line says there is more above.
      const fade = ctx.createLinearGradient(0, box.y, 0, box.y + lineHeight);
      fade.addColorStop(0, colours.background);
      fade.addColorStop(1, `${colours.background}00`);
      ctx.fillStyle = fade;
      ctx.fillRect(box.x, box.y, box.width, lineHeight);
    }
  }

  private drawMeter(meter: MeterView, box: Rect): void {
    const ctx = this.ctx;
    const { colours } = this.options;
    const barHeight = this.layout.barHeightPx;
    ctx.font = this.smallFont;
    const labelWidth = Math.ceil(Math.max(ctx.measureText('mic').width, ctx.measureText('spk').width)) + 6;
    const barX = box.x + labelWidth;
    const barWidth = box.width - labelWidth;
    const rows = [
      { label: 'mic', level: meter.input, colour: meter.voice ? colours.voice : colours.meter },
      { label: 'spk', level: meter.output, colour: colours.meter },
    ];
    let y = box.y + 6;
    for (const row of rows) {
      ctx.fillStyle = colours.dim;
      ctx.fillText(row.label, box.x, y + barHeight / 2 - this.options.textSizePx * 0.4);
      ctx.globalAlpha = 0.3;
      ctx.fillRect(barX, y, barWidth, barHeight);
      ctx.globalAlpha = 1;
      if (row.level) {
        ctx.fillStyle = row.colour;
        ctx.fillRect(barX, y, Math.round(barWidth * meterFraction(row.level.rmsDbfs)), barHeight);
        ctx.fillStyle = colours.text;
        const peakX = barX + Math.round((barWidth - 2) * meterFraction(row.level.peakDbfs));
        ctx.fillRect(peakX, y, 2, barHeight);
      }
      y += barHeight + 4;
    }
  }

  private drawHealth(health: HealthView, box: Rect): void {
    const ctx = this.ctx;
    ctx.font = this.smallFont;
    ctx.fillStyle = health.warning ? this.options.colours.warning : this.options.colours.dim;
    ctx.fillText(this.fit(health.text, box.width), box.x, box.y + 2);
  }

  /** The text, cut with an ellipsis where it is wider than `widthPx` in the current font. */
  private fit(text: string, widthPx: number): string {
    if (this.ctx.measureText(text).width <= widthPx) return text;
    const kept = [...graphemes.segment(text)].map((s) => s.segment);
    while (kept.length > 0 && this.ctx.measureText(`${kept.join('')}…`).width > widthPx) kept.pop();
    return `${kept.join('').trimEnd()}…`;
  }
}

function meterFraction(dbfs: number): number {
  return Math.min(1, Math.max(0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS));
}
