import { readFile } from 'node:fs/promises';
import { generateTypes, generateUpstreamTypes } from './generate-types.js';

describe('generated CRD types', () => {
  it('are up to date with crds/*.yaml (run `npm run generate:types` when this fails)', async () => {
    const generated = await generateTypes();
    expect(generated.size).toBeGreaterThan(0);
    for (const [name, content] of generated) {
      expect(await readFile(new URL(`../crds/generated/${name}`, import.meta.url), 'utf8')).toBe(
        content,
      );
    }
  });

  it('of the upstream Argo Workflows and Istio children are up to date with the pinned CRDs', async () => {
    // The CRD files come from the test bed's cache (fetched from their Go modules on first use).
    const generated = await generateUpstreamTypes();
    expect([...generated.keys()].sort()).toEqual(['argo-workflows.ts', 'istio.ts']);
    for (const [name, content] of generated) {
      expect(
        await readFile(new URL(`../operator/src/types/generated/${name}`, import.meta.url), 'utf8'),
      ).toBe(content);
    }
    // Compiling Argo's ten-thousand-line schema takes seconds.
  }, 60_000);
});
