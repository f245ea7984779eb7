/**
 * dynalite in a process of its own, so that its LevelDB work runs on another core than the
 * sync's handlers. Prints one JSON line `{"ready":true,"endpoint":...}` once it listens and
 * stops on SIGTERM/SIGINT. Used by startDynamoProcess; also runnable by hand:
 *   npx tsx src/local/dynamo-server.ts --data-dir .data/dynamodb [--port 8000]
 */
import { parseArgs } from 'node:util';
import { startLocalDynamo } from './dynamodb.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, port: { type: 'string' } } });
const dynamo = await startLocalDynamo({ dataDir: values['data-dir'], port: Number(values.port ?? 0) });
process.stdout.write(`${JSON.stringify({ ready: true, endpoint: dynamo.endpoint })}\n`);
const stop = () => {
  dynamo.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away without stopping us: stop too.
process.stdin.on('end', stop);
process.stdin.resume();
