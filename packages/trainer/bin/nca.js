#!/usr/bin/env node
// The `nca` command in this repository: TypeScript through tsx, so a fresh clone needs no build
// step. The published package runs the compiled dist/nca.js instead (publishConfig.bin).
import { register } from 'tsx/esm/api';

register();
await import('../src/nca.ts');
