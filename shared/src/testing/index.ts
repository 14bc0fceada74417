export { MemoryBroker, MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { FakeClock } from './fake-clock.js';
