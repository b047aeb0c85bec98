// Bundle entry point of the debug adapter (dist/debug.js): DAP over stdin/stdout.
import { startDebugAdapter } from './adapter';

startDebugAdapter();
