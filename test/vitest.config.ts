import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

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
    include: ['shared/test/**/*.test.ts', 'native/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'deploy/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
