// Stops every process the test bed started for this jest run (by pid) and removes its data.
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const runDir = process.env.TESTBED_RUN_DIR;
  if (!runDir) return;
  const { stopRun } = await tsImport('../../scripts/testbed/testbed.ts', import.meta.url);
  await stopRun(runDir);
}
