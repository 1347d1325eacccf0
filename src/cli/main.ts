// chatbench's entry point (npm scripts run this file); the command line itself is in app.ts.
import { main } from './app.ts';

const code = await main(process.argv);
process.exitCode = code;
// Exit even if a library left a handle open; stdout to a pipe or file is written synchronously on Linux.
setImmediate(() => process.exit(code));
