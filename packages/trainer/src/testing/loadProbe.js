// Runs the CLI in this fresh process and prints what it loaded: whether tfjs made its engine
// (tfjs-core sets globalThis._tfengine when imported) and whether sharp's native library is
// mapped. Usage: node loadProbe.js CLI_TS ARG...
import { register } from 'tsx/esm/api';
register();
const [cli, ...argv] = process.argv.slice(2);
const { main } = await import(cli);
const code = await main(argv, { log() {}, error: (l) => console.error(l) });
const shared = process.report.getReport().sharedObjects;
console.log(JSON.stringify({ code, tfjs: '_tfengine' in globalThis, sharp: shared.some((s) => /sharp/.test(s)) }));
