// Entry of the bundled edge (bin/edge-bundle.ts): `stockpulse edge` and nothing else.
import edge from './commands/edge.ts';

process.exitCode = await edge.run(process.argv.slice(2));
