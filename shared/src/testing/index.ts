export { MemoryBroker, MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { FakeClock } from './fake-clock.js';
export { freePort, waitForPort } from './net.js';
export { type MosquittoProcess, startMosquitto } from './mosquitto.js';
export {
  type Recording,
  type Recorder,
  startVirtualBoard,
  VIRTUAL_MIC_DEVICE,
  VIRTUAL_SPEAKER_DEVICE,
  type VirtualBoard,
} from './virtual-board.js';
export { align, type Alignment, bestMatch, correlationAt, endAbove, envelopeMismatches, firstAbove, loudSpans, playedUntil, rms, samples, sine, sineSnrDb } from './signals.js';
export { type EchoOptions, sinkInputOf } from './echo-path.js';
export { speech } from './speech.js';
export { lcg, ROOM_NOISES, type RoomNoise, roomNoise } from './room-noises.js';
export { contractAccepts, type FuzzMessage, Fuzzer, FuzzTally } from './fuzz.js';
export { AcsPeer, CallerPeer, FreeswitchPeer, type Received } from './telephony-peers.js';
