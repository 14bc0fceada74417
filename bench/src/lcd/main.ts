import '../lib/no-leftovers.js';
import { writeResults } from '../lib/results.js';
import { measureFrames } from './frames.js';
import { measureService } from './service.js';

/**
 * npm run bench:lcd — what the screen costs:
 *  - per frame, render + write at 240×280 to an RGB565 framebuffer (a file-backed fake device)
 *    for a realistic conversation stream, for the meter alone, and with every region changing;
 *    the same at 320×240 XRGB8888, and with the PNG output instead;
 *  - the service as its own process, fed a conversation in real time: PSS, CPU, frames.
 */
const FRAMES = Number(process.env.BENCH_LCD_FRAMES ?? 1500);
const SECONDS = Number(process.env.BENCH_LCD_SECONDS ?? 30);

process.stderr.write(`bench:lcd: ${FRAMES} frames per case…\n`);
const frames = {
  rgb565_240x280_conversation: await measureFrames({ widthPx: 240, heightPx: 280, bitsPerPixel: 16, output: 'framebuffer', frames: FRAMES, workload: 'conversation' }),
  rgb565_240x280_metersOnly: await measureFrames({ widthPx: 240, heightPx: 280, bitsPerPixel: 16, output: 'framebuffer', frames: FRAMES, workload: 'levels' }),
  rgb565_240x280_everyRegion: await measureFrames({ widthPx: 240, heightPx: 280, bitsPerPixel: 16, output: 'framebuffer', frames: FRAMES, workload: 'everything' }),
  xrgb8888_320x240_conversation: await measureFrames({ widthPx: 320, heightPx: 240, bitsPerPixel: 32, output: 'framebuffer', frames: FRAMES, workload: 'conversation' }),
  png_240x280_conversation: await measureFrames({ widthPx: 240, heightPx: 280, bitsPerPixel: 16, output: 'png', frames: Math.min(FRAMES, 500), workload: 'conversation' }),
};
process.stderr.write(`bench:lcd: the service for ${SECONDS} s…\n`);
const service = await measureService(SECONDS);

console.log('\nlcd: cost per frame (render + write), ms\n');
console.log(`${'case'.padEnd(32)} ${'frames'.padStart(6)} ${'render p50/p99'.padStart(16)} ${'write p50/p99'.padStart(16)} ${'total p50/p99'.padStart(16)} ${'bytes/frame'.padStart(12)}`);
for (const [name, f] of Object.entries(frames)) {
  const pair = (x: { p50: number; p99: number }) => `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)}`.padStart(16);
  console.log(`${name.padEnd(32)} ${String(f.frames).padStart(6)} ${pair(f.renderMs)} ${pair(f.writeMs)} ${pair(f.totalMs)} ${String(f.bytesWrittenPerFrame).padStart(12)}`);
}
console.log(
  `\nthe service, ${service.seconds} s of conversation at 10 Hz: PSS ${service.pssMiB.settled} MiB (max ${service.pssMiB.max}), RSS ${service.rssMiB} MiB, CPU ${service.cpuPercentOfOneCore} % of one core, ${service.framesDrawn} frames drawn`,
);
const method =
  'frames: the lcd modules in this process (reducer, renderer drawing only changed regions, output), fed a scripted conversation cut into 100 ms frames (levels every frame, two word deltas a frame while the reply streams, state changes); frames where nothing visible changed are not counted. Framebuffer = a file-backed fake device (the write is the same page-cache copy the kernel does for /dev/fbN; an SPI panel then flushes on its own, outside this process). service: services/lcd as its own process with the run command\'s V8 options, on Aedes, fed the same script in real time over MQTT; PSS from /proc/<pid>/smaps_rollup.';
console.log(`\nwrote ${writeResults('lcd', { frames, service, method, generatedBy: 'npm run bench:lcd' })}`);
