// Real ESM under jest: ts-jest emits ES modules and node runs them with --experimental-vm-modules
// (see the npm scripts), so got, p-retry and friends load as themselves, never as mocks.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  // Integration files start their own influxd and simulator and run the CLI: room for a loaded machine,
  // bounded all the same (jest reads this option only here; unit tests set a shorter one).
  testTimeout: 120_000,
  // Two files at once, whatever the core count (jest's default on 2 cores is one): an integration file
  // spends most of its time waiting for its influxd, simulator and CLI processes, and every file has
  // its own servers, ports, temp folders and databases. The suite took 285 s idle in one worker and
  // 142 s in two on this project's 2-core machine.
  maxWorkers: 2,
  // Jest's own reporter, and one that names what runs (for .ci/run's time bound) and ends a jest that
  // something left open after the last test (test/harness/watchdogReporter.js).
  reporters: ['default', '<rootDir>/test/harness/watchdogReporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      // Unit tests run on fixtures, fake timers and an injected clock: seconds, even on a loaded machine.
      setupFilesAfterEnv: ['<rootDir>/test/harness/unitTimeout.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Whatever a test started is stopped after it, passed or not.
      setupFilesAfterEnv: ['<rootDir>/test/harness/stopAfterEachTest.ts'],
    },
  ],
};
