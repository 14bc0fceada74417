/**
 * `@voxbus/shared/process`: what a process supervisor needs, without the rest of the library
 * (the bus, the contract and its validators): the runner imports only this in multi-process
 * mode, where the whole library cost it 20 MiB (bench:footprint).
 */
export { processTree } from './runtime/process-tree.js';
export { SERVICE_V8_OPTIONS, serviceEnv, serviceNodeOptions } from './runtime/node-options.js';
export { alive, EXIT_WITH_PID_ENV, exitWithPid, watchParent, withParent } from './runtime/parent-watch.js';
export { READY_FD_ENV } from './runtime/ready-fd.js';
