export { MemoryBroker, MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { FakeClock } from './fake-clock.js';
export { freePort, waitForPort } from './net.js';
export { type MosquittoProcess, startMosquitto } from './mosquitto.js';
