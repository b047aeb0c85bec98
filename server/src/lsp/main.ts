// Bundle entry point of the language server (dist/server.js): stdio by default, IPC when started by the VS Code client.
import { startServer } from './server';

startServer();
