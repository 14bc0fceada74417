import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

const ALL_TESTS = ['shared/test/**/*.test.ts', 'native/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'deploy/*/test/**/*.test.ts', 'test/**/*.test.ts'];

/**
 * Tests that run in real time on the virtual board (PulseAudio), their audio real: they need a
 * quiet machine and run one file at a time, last. Every end-to-end test under test/e2e is one,
 * unless PROCESS_TESTS names it; a new test with a board goes here.
 */
const REAL_TIME_TESTS = [
  'test/e2e/**/*.test.ts',
  'services/*/test/**/*-process.test.ts',
  'native/alsa/test/backend-contract.test.ts',
  'shared/test/virtual-echo.test.ts',
];

/**
 * Tests of processes, brokers and links with no sound device (services spawned, sockets, timers):
 * two files at a time, before the real-time ones. Each mostly waits on its processes; none
 * measures a latency.
 */
const PROCESS_TESTS = [
  'services/realtime-gateway/test/gateway-process.test.ts',
  'services/lcd/test/lcd-process.test.ts',
  'services/realtime-sim/test/sim-process.test.ts',
  'services/realtime-sim/test/sim-faults.test.ts',
  'services/realtime-sim/test/sim-sdk.test.ts',
  'services/realtime-gateway/test/link-connection.test.ts',
  'services/realtime-gateway/test/link-tls.test.ts',
  'shared/test/mqtt-bus.test.ts',
  'deploy/runner/test/supervisor.test.ts',
  'test/probe.test.ts',
  'test/install-node.test.ts',
  'test/e2e/runner.test.ts',
  'test/e2e/malformed-input.test.ts',
  'test/e2e/service-runtime.test.ts',
  'test/e2e/healthcheck.test.ts',
];

export default defineConfig({
  root,
  resolve: {
    // Unit tests run the TypeScript sources; end-to-end tests spawn the built services.
    alias: [
      { find: /^@voxbus\/shared\/testing$/, replacement: `${root}shared/src/testing/index.ts` },
      { find: /^@voxbus\/shared\/process$/, replacement: `${root}shared/src/process.ts` },
      { find: /^@voxbus\/shared\/realtime$/, replacement: `${root}shared/src/realtime.ts` },
      { find: /^@voxbus\/shared$/, replacement: `${root}shared/src/index.ts` },
      { find: /^@voxbus\/alsa$/, replacement: `${root}native/alsa/src/index.ts` },
      { find: /^@voxbus\/dsp$/, replacement: `${root}native/dsp/src/index.ts` },
      { find: /^@voxbus\/realtime-sim\/lib$/, replacement: `${root}services/realtime-sim/src/index.ts` },
      { find: /^@voxbus\/broker\/lib$/, replacement: `${root}services/broker/src/index.ts` },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // First the unit tests, two files at a time (nothing in them waits on a clock or a device).
      { extends: true, test: { name: 'unit', include: ALL_TESTS, exclude: [...configDefaults.exclude, ...REAL_TIME_TESTS, ...PROCESS_TESTS], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Then the process tests, two at a time.
      { extends: true, test: { name: 'process', include: PROCESS_TESTS, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      // Last the real-time ones, one file at a time.
      { extends: true, test: { name: 'real-time', include: REAL_TIME_TESTS, exclude: [...configDefaults.exclude, ...PROCESS_TESTS], maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
