// Bundles the edge gateway into one plain JavaScript file for small gateway boxes:
//
//   npm run build:edge      → dist/edge/stockpulse-edge.mjs (+ chunks loaded on demand)
//   node --max-old-space-size=64 --max-semi-space-size=2 dist/edge/stockpulse-edge.mjs --config site.yaml
//
// Why: run through tsx, every process carries the TypeScript loader and its source maps (~35 MB
// of RSS on a Raspberry Pi that has ~120 MB for us). The bundle has none of that. Native and
// heavy packages stay external (loaded from node_modules at run time): better-sqlite3 and
// serialport are native addons, node-opcua and modbus-serial are only loaded when a device needs
// them, pino keeps its own worker files.

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const EDGE_BUNDLE_EXTERNALS = ['better-sqlite3', 'serialport', '@serialport/*', 'node-opcua', 'modbus-serial', 'pino', 'yaml', 'esbuild'];

/**
 * Bundles `entry` (a .ts file) as ESM for Node 20 into `outdir`, named `name`.mjs. Code
 * splitting keeps dynamic imports (the RFID/scale/OPC UA device stack) in chunks of their own,
 * so their heavy packages load only when configured, as they do under tsx.
 */
export async function bundleForNode(entry: string, outdir: string, name: string): Promise<string> {
  await build({
    entryPoints: { [name]: entry }, outdir, outExtension: { '.js': '.mjs' }, splitting: true, chunkNames: 'chunks/[name]-[hash]',
    bundle: true, platform: 'node', format: 'esm', target: 'node20',
    external: EDGE_BUNDLE_EXTERNALS, logLevel: 'warning', legalComments: 'none',
    // CommonJS packages bundled into ESM still call require() for Node built-ins
    banner: { js: "import { createRequire as __spCreateRequire } from 'node:module'; const require = __spCreateRequire(import.meta.url);" },
  });
  return `${outdir}/${name}.mjs`;
}

// run as a script (npm run build:edge), not when imported — nor when bundled into something else
if (process.argv[1]?.endsWith('edge-bundle.ts') && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = new URL('../', import.meta.url);
  const out = await bundleForNode(fileURLToPath(new URL('bin/edge-main.ts', root)), fileURLToPath(new URL('dist/edge', root)), 'stockpulse-edge');
  process.stdout.write(`built ${out}\nrun: node --max-old-space-size=64 --max-semi-space-size=2 ${out} --config FILE\n`);
}
