/**
 * Measures dynalite as the local runs use it: start, table creation, BatchWriteItem of 25 items
 * and a Query of 1,000 items, in memory and on LevelDB. Prints numbers; asserts nothing.
 *
 *   npx tsx src/local/dynamodb-bench.ts [--rounds 20] [--item-bytes 600]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ensureSyncTable, localDynamoClient, startLocalDynamo } from './dynamodb.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, 'item-bytes': { type: 'string', default: '600' } },
});
const rounds = Number(values.rounds);
const itemBytes = Number(values['item-bytes']);

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, min ${at(0).toFixed(1)} ms (n=${samples.length})`;
}

function stagedItem(run: string, page: number, row: number): WriteRequest {
  return {
    PutRequest: {
      Item: {
        pk: { S: `stage#${run}#ITALCOL#accounts` },
        sk: { S: `p${String(page).padStart(5, '0')}#${String(row).padStart(6, '0')}` },
        hash: { S: 'f'.repeat(40) },
        payload: { S: 'x'.repeat(itemBytes) },
        ttl: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
      },
    },
  };
}

async function batchWrite(client: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = out.UnprocessedItems?.[table] ?? [];
  }
}

async function queryAll(
  client: DynamoDBClient,
  table: string,
  pk: string,
): Promise<{ items: number; pages: number }> {
  let items = 0;
  let pages = 0;
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ExclusiveStartKey: start,
      }),
    );
    items += out.Count ?? 0;
    pages++;
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return { items, pages };
}

async function measure(label: string, dataDir?: string): Promise<void> {
  const t0 = performance.now();
  const dynamo = await startLocalDynamo({ dataDir });
  const started = performance.now() - t0;
  const client = localDynamoClient(dynamo.endpoint);
  try {
    const t1 = performance.now();
    await ensureSyncTable(client, 'bench');
    const created = performance.now() - t1;

    const batches: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const requests = Array.from({ length: 25 }, (_, row) => stagedItem(`w${round}`, 0, row));
      const t = performance.now();
      await batchWrite(client, 'bench', requests);
      batches.push(performance.now() - t);
    }

    // 1,000 items under one partition key, written 25 at a time.
    const tFill = performance.now();
    for (let page = 0; page < 40; page++) {
      await batchWrite(
        client,
        'bench',
        Array.from({ length: 25 }, (_, row) => stagedItem('q', page, row)),
      );
    }
    const fill = performance.now() - tFill;

    const queries: number[] = [];
    let shape = { items: 0, pages: 0 };
    for (let round = 0; round < Math.max(5, Math.floor(rounds / 2)); round++) {
      const t = performance.now();
      shape = await queryAll(client, 'bench', 'stage#q#ITALCOL#accounts');
      queries.push(performance.now() - t);
    }

    console.log(`${label}`);
    console.log(`  start dynalite                 ${started.toFixed(1)} ms`);
    console.log(`  ensureSyncTable (create)       ${created.toFixed(1)} ms`);
    console.log(`  BatchWriteItem, 25 items       ${stats(batches)}`);
    console.log(
      `  1,000 items in 40 batches      ${fill.toFixed(1)} ms (${((1000 / fill) * 1000).toFixed(0)} items/s)`,
    );
    console.log(
      `  Query 1,000 items              ${stats(queries)} (${shape.items} items in ${shape.pages} page(s))`,
    );
  } finally {
    client.destroy();
    const t = performance.now();
    await dynamo.stop();
    console.log(`  stop                           ${(performance.now() - t).toFixed(1)} ms`);
  }
}

console.log(
  `dynalite benchmark: items of ~${itemBytes + 120} bytes, ${rounds} rounds, node ${process.version}`,
);
await measure('in memory');
const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-dynamo-bench-'));
try {
  await measure(`LevelDB (${dir})`, dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const { rss, heapUsed } = process.memoryUsage();
console.log(
  `process memory after both: rss ${(rss / 2 ** 20).toFixed(0)} MiB, heap ${(heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
