export * from './types.js';
export { AlsaBackend } from './alsa-backend.js';
export { FakeAudioBackend, type FakeAudioClock, type FakeDeviceSpec } from './fake-backend.js';
export { validatePlaybackRequest, validateStreamRequest } from './validate-request.js';
export { DeviceSupervisor, type SupervisorClock, type SupervisorOptions } from './device-supervisor.js';
export { FrameAssembler, type Timeline } from './frame-assembler.js';
export { PlayedTimeline } from './played-timeline.js';
export { FakeSpeaker } from './fake-speaker.js';
export { AudioThreadsNice, setThreadsNice, type ThreadNiceDeps, type ThreadNiceResult } from './thread-nice.js';
