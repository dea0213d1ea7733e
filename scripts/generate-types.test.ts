import { readFile } from 'node:fs/promises';
import { generateTypes } from './generate-types.js';

describe('generated CRD types', () => {
  it('are up to date with crds/*.yaml (run `npm run generate:types` when this fails)', async () => {
    const generated = await generateTypes();
    expect(generated.size).toBeGreaterThan(0);
    for (const [name, content] of generated) {
      expect(await readFile(new URL(`../crds/types/${name}`, import.meta.url), 'utf8')).toBe(
        content,
      );
    }
  });
});
