// Bundles the edge gateway into one plain JavaScript file for small gateway boxes:
//
//   npm run build:edge      → dist/edge/stockpulse-edge.mjs (+ chunks loaded on demand)
//   MALLOC_ARENA_MAX=2 node --max-old-space-size=64 --max-semi-space-size=2 dist/edge/stockpulse-edge.mjs --config site.yaml
//
// Why: run through tsx, every process carries the TypeScript loader and its source maps (~35 MB
// of RSS on a Raspberry Pi that has ~120 MB for us). The bundle has none of that. Native and
// heavy packages stay external (loaded from node_modules at run time): better-sqlite3 and
// serialport are native addons, node-opcua and modbus-serial are only loaded when a device needs
// them, pino keeps its own worker files.

import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../edge/bundle/build-for-node.ts';

export { bundleForNode, EDGE_BUNDLE_EXTERNALS } from '../edge/bundle/build-for-node.ts';

// run as a script (npm run build:edge), not when imported — nor when bundled into something else
if (process.argv[1]?.endsWith('edge-bundle.ts') && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = new URL('../', import.meta.url);
  const out = await bundleForNode(fileURLToPath(new URL('bin/edge-main.ts', root)), fileURLToPath(new URL('dist/edge', root)), 'stockpulse-edge');
  process.stdout.write(`built ${out}\nrun: MALLOC_ARENA_MAX=2 node --max-old-space-size=64 --max-semi-space-size=2 ${out} --config FILE\n`);
}
