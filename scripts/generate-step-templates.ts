/**
 * Writes the chart's ClusterWorkflowTemplate file from the operator's builder
 * (operator/src/builders/step-templates.ts): `npm run generate:steps`. A unit test fails when the
 * checked-in file is stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  renderStepTemplates,
  STEP_TEMPLATES_FILE,
} from '../operator/src/builders/step-templates.js';

const file = fileURLToPath(new URL(`../${STEP_TEMPLATES_FILE}`, import.meta.url));
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, renderStepTemplates());
process.stdout.write(`wrote ${STEP_TEMPLATES_FILE}\n`);
