import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { Item, Table } from '../../../src/core/store/table.js';
import { applyUpdate } from './update.js';

/**
 * An in-memory stand-in for the one DynamoDB table, behind Table's interface, for unit tests of
 * the store layers without sockets: items by pk and sk, Query by sk prefix in sk order (as
 * DynamoDB returns them), batch writes and deletes, UpdateItem with the expressions the store
 * writes (see update.ts), a count of calls by kind.
 */
export class FakeTable {
  readonly items = new Map<string, Map<string, Item>>();
  readonly calls: Record<string, number> = {};

  private count(kind: string) {
    this.calls[kind] = (this.calls[kind] ?? 0) + 1;
  }

  private partition(pk: string) {
    let p = this.items.get(pk);
    if (!p) {
      p = new Map();
      this.items.set(pk, p);
    }
    return p;
  }

  private store(item: Item) {
    this.partition(item.pk?.S ?? '').set(item.sk?.S ?? '', structuredClone(item));
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    this.count('GetItem');
    const item = this.items.get(pk)?.get(sk);
    return item ? structuredClone(item) : undefined;
  }

  async put(item: Item): Promise<void> {
    this.count('PutItem');
    this.store(item);
  }

  async query(pk: string, skPrefix = ''): Promise<Item[]> {
    this.count('Query');
    const p = this.items.get(pk) ?? new Map<string, Item>();
    return [...p.keys()]
      .filter((sk) => sk.startsWith(skPrefix))
      .sort()
      .map((sk) => structuredClone(p.get(sk) as Item));
  }

  async batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    this.count('BatchGetItem');
    return keys.flatMap((k) => {
      const item = this.items.get(k.pk)?.get(k.sk);
      return item ? [structuredClone(item)] : [];
    });
  }

  async batchPut(items: Item[]): Promise<void> {
    this.count('BatchWriteItem');
    for (const item of items) this.store(item);
  }

  async write(requests: Array<{ PutRequest?: { Item?: Item }; DeleteRequest?: { Key?: Item } }>) {
    this.count('BatchWriteItem');
    for (const r of requests) {
      if (r.PutRequest?.Item) this.store(r.PutRequest.Item);
      const key = r.DeleteRequest?.Key;
      if (key) this.items.get(key.pk?.S ?? '')?.delete(key.sk?.S ?? '');
    }
    return [];
  }

  /**
   * UpdateItem as DynamoDB does it: the item is created when absent, the condition is checked
   * first (a failed one changes nothing and throws what Table throws:
   * StoreStateError caused by ConditionalCheckFailedException), ALL_NEW is returned.
   */
  async update(
    pk: string,
    sk: string,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
  ): Promise<Item | undefined> {
    this.count('UpdateItem');
    const current = this.items.get(pk)?.get(sk);
    const next = applyUpdate(current, { pk: { S: pk }, sk: { S: sk } }, input);
    this.store(next);
    return structuredClone(next);
  }

  asTable(): Table {
    return this as unknown as Table;
  }
}
