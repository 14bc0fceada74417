import { ConfigError } from '@voxbus/shared';
import type { Rect } from './pixel-format.js';

export interface LayoutInput {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly margins: { readonly topPx: number; readonly rightPx: number; readonly bottomPx: number; readonly leftPx: number };
  readonly textSizePx: number;
  readonly stateSizePx: number;
}

export type RegionName = 'status' | 'transcript' | 'meter' | 'health';

export interface Layout {
  /** Full-width bands, top to bottom: what is cleared and redrawn when a region changes. */
  readonly bands: Readonly<Record<RegionName, Rect>>;
  /** Inside the margins: where the region's content goes. */
  readonly content: Readonly<Record<RegionName, Rect>>;
  readonly lineHeightPx: number;
  readonly barHeightPx: number;
}

/** The screen's four regions for a size, margins and font sizes; the transcript takes what is left. */
export function layoutScreen(input: LayoutInput): Layout {
  const { widthPx, heightPx, margins } = input;
  const lineHeightPx = Math.round(input.textSizePx * 1.3);
  const barHeightPx = Math.max(4, Math.round(input.textSizePx * 0.45));
  const heights = {
    status: Math.round(input.stateSizePx * 1.3) + lineHeightPx + 6,
    meter: 2 * barHeightPx + 12,
    health: lineHeightPx + 2,
  };
  const left = margins.leftPx;
  const contentWidth = widthPx - margins.leftPx - margins.rightPx;
  const transcriptHeight = heightPx - margins.topPx - margins.bottomPx - heights.status - heights.meter - heights.health;
  if (contentWidth < 4 * input.textSizePx || transcriptHeight < 2 * lineHeightPx) {
    throw new ConfigError(
      `a ${widthPx}×${heightPx} screen with these margins and font sizes leaves no room for two lines of transcript (${contentWidth} px wide, ${transcriptHeight} px high)`,
    );
  }
  const statusTop = margins.topPx;
  const transcriptTop = statusTop + heights.status;
  const meterTop = transcriptTop + transcriptHeight;
  const healthTop = meterTop + heights.meter;
  const content = {
    status: { x: left, y: statusTop, width: contentWidth, height: heights.status },
    transcript: { x: left, y: transcriptTop, width: contentWidth, height: transcriptHeight },
    meter: { x: left, y: meterTop, width: contentWidth, height: heights.meter },
    health: { x: left, y: healthTop, width: contentWidth, height: heights.health },
  };
  // The bands reach the screen's edges, so the margins are painted with the background too.
  const bands = {
    status: { x: 0, y: 0, width: widthPx, height: transcriptTop },
    transcript: { x: 0, y: transcriptTop, width: widthPx, height: transcriptHeight },
    meter: { x: 0, y: meterTop, width: widthPx, height: heights.meter },
    health: { x: 0, y: healthTop, width: widthPx, height: heightPx - healthTop },
  };
  return { bands, content, lineHeightPx, barHeightPx };
}
