#!/usr/bin/env node
// The `stockpulse` command. Sources are TypeScript run through tsx, so there is no build step
// between a clone and a running gateway.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
