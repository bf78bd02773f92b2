// Entry of a gradient worker thread run from the sources: workers do not inherit the main
// thread's TypeScript loader, so register tsx here, as bin/nca.js does.
import { register } from 'tsx/esm/api';

register();
await import('./gradientWorkerMain.ts');
