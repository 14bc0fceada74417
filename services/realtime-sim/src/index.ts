// The simulator in-process, for other packages' tests (a gateway test drives a SimSession or a
// server without a process of its own): `@voxbus/realtime-sim/lib`.
export type { Endpoint, Provider } from './endpoint.js';
export { randomIds, sequentialIds } from './ids.js';
export { defaultToolTrigger, type FunctionTool, type ResponseTiming, SimSession, type SimSessionOptions, type ToolTrigger, type TurnFacts } from './realtime-session.js';
export { type Fault, type SimServer, type SimServerOptions, startSimServer } from './server.js';
export { type ServerCertificate, serverCertificate } from './sim-tls.js';
export { syntheticVoice, type Voice } from './voice.js';
