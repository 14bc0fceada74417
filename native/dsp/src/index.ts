export * from './types.js';
export { NativeDspBackend, Resampler } from './native-backend.js';
export { FakeDspBackend } from './fake-backend.js';
export { validateChunk, validateResamplerOptions, validateVoiceOptions } from './validate.js';
