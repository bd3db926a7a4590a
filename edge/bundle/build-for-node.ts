// How the edge gateway is bundled for small boxes (bin/edge-bundle.ts runs it; the edge
// throughput bench builds the same bundle to measure it). Here, not in bin/, so a bench can use
// it without importing a command script.

import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const QUIET_DEBUG = fileURLToPath(new URL('./quiet-debug.cjs', import.meta.url));

/** every require('debug') but the shim's own goes to edge/bundle/quiet-debug.cjs (why: there) */
const quietDebug: Plugin = {
  name: 'quiet-debug',
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, (args) => (args.importer === QUIET_DEBUG ? undefined : { path: QUIET_DEBUG }));
  },
};

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
    external: EDGE_BUNDLE_EXTERNALS, logLevel: 'warning', legalComments: 'none', plugins: [quietDebug],
    // CommonJS packages bundled into ESM still call require() for Node built-ins
    banner: { js: "import { createRequire as __spCreateRequire } from 'node:module'; const require = __spCreateRequire(import.meta.url);" },
  });
  return `${outdir}/${name}.mjs`;
}
