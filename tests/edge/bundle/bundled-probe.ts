import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { bundleForNode } from '../../../edge/bundle/build-for-node.ts';

/**
 * Bundles a probe script with the edge's own bundler before the file's tests and removes it
 * after them; the returned function gives the bundle's path, to run as its own node process.
 */
export function bundledProbe(entry: URL, prefix: string): () => string {
  let dir: string;
  let probe: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    probe = await bundleForNode(fileURLToPath(entry), dir, 'probe');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => probe;
}
