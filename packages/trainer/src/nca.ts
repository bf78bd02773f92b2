#!/usr/bin/env node
// The `nca` command's process: arguments in, exit code out.
import { tuneWasm } from './backends/wasmFlags.ts';
import { main } from './cli.ts';

tuneWasm();

// `nca inspect m.safetensors | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
