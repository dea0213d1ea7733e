// Two projects: `unit` (pure code, no servers, seconds) and `integration` (test/integration/,
// against the real servers of the test bed, started once per run by globalSetup).
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

const common = {
  testEnvironment: '<rootDir>/test/jest-environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  // Sources import siblings as `./x.js` (NodeNext); jest resolves them to the `.ts` files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** Pure code, no servers: also run alone by `npm run test:unit` (jest.unit.config.js). */
export const unitProject = {
  ...common,
  displayName: 'unit',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/', '<rootDir>/dist/'],
};

/** @type {import('jest').Config} */
export default {
  // Integration steps run real servers and whole training runs; jest reads this only globally.
  testTimeout: 120_000,
  projects: [
    unitProject,
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.mjs',
      globalTeardown: '<rootDir>/test/integration/global-teardown.mjs',
    },
  ],
};
