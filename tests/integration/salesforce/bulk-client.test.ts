/**
 * The Bulk API 2.0 client (src/core/salesforce/bulk) against the emulator over real HTTP: jobs
 * started, polled and read back into per-record outcomes, with the emulator's Bulk faults.
 */
import { SalesforceRequestError } from '../../../src/core/errors.js';
import { BulkIngest } from '../../../src/core/salesforce/bulk/ingest.js';
import {
  collectOutcomes,
  type JobStatus,
  jobState,
  type RecordOutcome,
  startJobs,
} from '../../../src/core/salesforce/bulk/jobs.js';
import { SalesforceClient } from '../../../src/core/salesforce/client.js';
import type { SalesforceEmulatorOptions } from '../../../src/emulators/salesforce/index.js';
import { type Org, startOrg } from './support.js';

interface World {
  org: Org;
  bulk: BulkIngest;
}

async function world(options: SalesforceEmulatorOptions = {}): Promise<World> {
  // Internal batches of 250 records (chunks of 200): a few hundred records run as parallel batches whose results interleave.
  const org = await startOrg({ bulkBatchSize: 250, lockHoldMs: 1, recordCostMs: 0, ...options });
  const token = {
    accessToken: org.token,
    instanceUrl: org.emulator.instanceUrl,
    expiresAt: Date.now() + 3600_000,
  };
  const client = new SalesforceClient({ apiVersion: '62.0', token, refresh: async () => token });
  return { org, bulk: new BulkIngest(client) };
}

async function untilDone(bulk: BulkIngest, jobId: string): Promise<JobStatus> {
  for (let i = 0; i < 500; i++) {
    const status = await jobState(bulk, jobId);
    if (status.done) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`job ${jobId} did not finish`);
}

const accounts = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    ti_external_id__c: `${prefix}-${i}`,
    Name: i % 100 === 42 ? null : `Cliente ${prefix} ${i}`,
    Phone: `300${String(i).padStart(7, '0')}`,
  }));

const byOutcome = (outcomes: RecordOutcome[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
  return counts;
};

const sortedKeys = (outcomes: RecordOutcome[]) => outcomes.map((o) => o.key).sort();

describe('Bulk API 2.0 client against the emulator', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => {
    await w.org.close();
  });

  it('upserts 300 accounts with 1% invalid: every record has its outcome, failures carry Salesforce’s error', async () => {
    const records = accounts(300, 'BU');
    const [job, ...more] = await startJobs(w.bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(more).toEqual([]);
    const status = await untilDone(w.bulk, job?.id as string);
    expect(status).toEqual({ state: 'JobComplete', processed: 300, failed: 3, done: true });
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      expected: job?.keys as string[],
    });
    expect(byOutcome(outcomes)).toEqual({ created: 297, failed: 3 });
    expect(sortedKeys(outcomes)).toEqual(records.map((r) => r.ti_external_id__c).sort());
    expect(outcomes.filter((o) => o.outcome === 'failed')).toEqual(
      ['BU-42', 'BU-142', 'BU-242'].map((key) => ({
        key,
        outcome: 'failed',
        error: 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --',
        errorCode: 'REQUIRED_FIELD_MISSING',
      })),
    );
    // Results come back in no particular order: the parallel internal batches interleave.
    // Batch 0's first chunk (0-199, less BU-42 and BU-142), batch 1's (250-299), then batch 0's second (200-249).
    expect(outcomes.slice(197, 199).map((o) => o.key)).toEqual(['BU-199', 'BU-250']);
    expect(outcomes[248]?.key).toBe('BU-200');
    const created = outcomes.filter((o) => o.outcome === 'created');
    expect(created.every((o) => /^001\w{15}$/.test(o.sfId ?? ''))).toBe(true);

    const again = await startJobs(w.bulk, 'Account', 'upsert', records.slice(0, 10), {
      externalIdFieldName: 'ti_external_id__c',
    });
    await untilDone(w.bulk, again[0]?.id as string);
    const second = await collectOutcomes(w.bulk, again[0]?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(byOutcome(second)).toEqual({ updated: 10 });
    expect(second.find((o) => o.key === 'BU-3')?.sfId).toBe(created.find((o) => o.key === 'BU-3')?.sfId);
  });

  it('applies the org’s duplicate rule to Bulk writes as to REST ones (Bulk cannot send allowSave)', async () => {
    const first = await startJobs(
      w.bulk,
      'Account',
      'upsert',
      [{ ti_external_id__c: 'D-1', Name: 'Igual', Phone: '1' }],
      {
        externalIdFieldName: 'ti_external_id__c',
      },
    );
    await untilDone(w.bulk, first[0]?.id as string);
    const dup = await startJobs(
      w.bulk,
      'Account',
      'upsert',
      [{ ti_external_id__c: 'D-2', Name: 'Igual', Phone: '1' }],
      {
        externalIdFieldName: 'ti_external_id__c',
      },
    );
    await untilDone(w.bulk, dup[0]?.id as string);
    const [outcome] = await collectOutcomes(w.bulk, dup[0]?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(outcome).toMatchObject({ key: 'D-2', outcome: 'failed', errorCode: 'DUPLICATES_DETECTED' });
  });

  it('splits a load over the upload limit into several jobs, all outcomes matched', async () => {
    w.org.emulator.resetCounters();
    const records = accounts(250, 'MP').filter((r) => r.Name !== null);
    const jobs = await startJobs(w.bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'ti_external_id__c',
      maxBytes: 3000,
    });
    expect(jobs.map((j) => j.keys.length)).toEqual([96, 90, 61]);
    expect(jobs.every((j) => j.bytes <= 3000)).toBe(true);
    const all: RecordOutcome[] = [];
    for (const job of jobs) {
      expect(await untilDone(w.bulk, job.id)).toMatchObject({ state: 'JobComplete', failed: 0 });
      all.push(
        ...(await collectOutcomes(w.bulk, job.id, {
          operation: 'upsert',
          externalIdFieldName: 'ti_external_id__c',
          expected: job.keys,
        })),
      );
    }
    expect(byOutcome(all)).toEqual({ created: 247 });
    expect(sortedKeys(all)).toEqual(records.map((r) => r.ti_external_id__c).sort());
    const { byEndpoint } = w.org.emulator.counters();
    expect([
      byEndpoint['bulk.ingest.create'],
      byEndpoint['bulk.ingest.upload'],
      byEndpoint['bulk.ingest.uploadComplete'],
    ]).toEqual([3, 3, 3]);
    expect(w.bulk.calls).toMatchObject({
      'bulk.create': 3,
      'bulk.upload': 3,
      'bulk.close': 3,
      'bulk.results': 9,
    });
  });

  it('sends parents by external ID as Relationship.ExternalId columns; an unknown parent fails its record', async () => {
    const parents = await startJobs(
      w.bulk,
      'Account',
      'upsert',
      [{ ti_external_id__c: 'P-1', Name: 'Padre' }],
      {
        externalIdFieldName: 'ti_external_id__c',
      },
    );
    await untilDone(w.bulk, parents[0]?.id as string);
    const stores = [
      { ti_external_id__c: 'S-1', Name: 'Sucursal 1', Account: { ti_external_id__c: 'P-1' } },
      { ti_external_id__c: 'S-2', Name: 'Sucursal 2', Account: { ti_external_id__c: 'P-404' } },
    ];
    const [job] = await startJobs(w.bulk, 'RetailStore', 'upsert', stores, {
      externalIdFieldName: 'ti_external_id__c',
    });
    await untilDone(w.bulk, job?.id as string);
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(outcomes).toEqual([
      { key: 'S-1', outcome: 'created', sfId: expect.stringMatching(/^0ZS\w{15}$/) },
      {
        key: 'S-2',
        outcome: 'failed',
        error:
          'INVALID_FIELD:Foreign key external ID: P-404 not found for field ti_external_id__c in entity Account: --',
        errorCode: 'INVALID_FIELD',
      },
    ]);
    const soql = encodeURIComponent(
      "SELECT Account.ti_external_id__c FROM RetailStore WHERE ti_external_id__c = 'S-1'",
    );
    const found = await w.org.api<{ records: Array<{ Account: { ti_external_id__c: string } }> }>(
      'GET',
      `/query?q=${soql}`,
    );
    expect(found.body.records[0]?.Account.ti_external_id__c).toBe('P-1');
  });

  it('deletes by Id, matching results to our keys through the Id we sent', async () => {
    const [load] = await startJobs(w.bulk, 'Account', 'upsert', accounts(3, 'DL'), {
      externalIdFieldName: 'ti_external_id__c',
    });
    await untilDone(w.bulk, load?.id as string);
    const loaded = await collectOutcomes(w.bulk, load?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    const keyById = new Map(loaded.map((o) => [o.sfId as string, o.key]));
    keyById.set('001000000000000AAA', 'DL-gone');
    const [job] = await startJobs(
      w.bulk,
      'Account',
      'delete',
      [...keyById.keys()].map((Id) => ({ Id })),
      {
        keyOf: (r) => keyById.get(r.Id as string) as string,
      },
    );
    expect([...(job?.keys ?? [])].sort()).toEqual(['DL-0', 'DL-1', 'DL-2', 'DL-gone']);
    expect(await untilDone(w.bulk, job?.id as string)).toMatchObject({
      state: 'JobComplete',
      processed: 4,
      failed: 1,
    });
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'delete',
      keyOf: (fields) => keyById.get(fields.Id ?? '') ?? '?',
    });
    expect(outcomes.map((o) => [o.key, o.outcome, o.errorCode])).toEqual([
      ['DL-0', 'deleted', undefined],
      ['DL-1', 'deleted', undefined],
      ['DL-2', 'deleted', undefined],
      ['DL-gone', 'failed', 'ENTITY_IS_DELETED'],
    ]);
    const count = await w.org.api<{ totalSize: number }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE ti_external_id__c LIKE 'DL-%'")}`,
    );
    expect(count.body.totalSize).toBe(0);
  });
});

describe('Bulk API 2.0 faults and refusals through the client', () => {
  let w: World;
  afterEach(async () => {
    await w.org.close();
  });

  it('fails a share of records with the given error', async () => {
    w = await world({
      bulkFaults: {
        failShare: 0.01,
        failError: {
          statusCode: 'UNABLE_TO_LOCK_ROW',
          message: 'unable to obtain exclusive access to this record',
        },
      },
    });
    const records = accounts(300, 'FS').filter((r) => r.Name !== null);
    const [job] = await startJobs(w.bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(await untilDone(w.bulk, job?.id as string)).toMatchObject({
      state: 'JobComplete',
      processed: 297,
      failed: 2,
    });
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      expected: job?.keys as string[],
    });
    expect(outcomes.filter((o) => o.outcome === 'failed')).toEqual(
      ['FS-100', 'FS-201'].map((key) => ({
        key,
        outcome: 'failed',
        error: 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record: --',
        errorCode: 'UNABLE_TO_LOCK_ROW',
      })),
    );
    expect(byOutcome(outcomes)).toEqual({ created: 295, failed: 2 });
  });

  it('leaves records unprocessed: the job ends Failed and they are reported unprocessed', async () => {
    w = await world({ bulkFaults: { unprocessedShare: 0.25 } });
    const records = accounts(40, 'UP').filter((r) => r.Name !== null);
    const [job] = await startJobs(w.bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'ti_external_id__c',
    });
    const status = await untilDone(w.bulk, job?.id as string);
    expect(status).toEqual({
      state: 'Failed',
      processed: 30,
      failed: 0,
      done: true,
      errorMessage:
        'InternalServerError : the job stopped before processing every record (emulator fault unprocessedShare)',
    });
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      expected: job?.keys as string[],
    });
    expect(byOutcome(outcomes)).toEqual({ created: 30, unprocessed: 10 });
    expect(outcomes.filter((o) => o.outcome === 'unprocessed').map((o) => o.key)).toEqual(
      records.slice(30).map((r) => r.ti_external_id__c),
    );
  });

  it('aborts a job midway (fault) and one still Open (client): unprocessed rows come back', async () => {
    w = await world({ bulkBatchSize: 10_000, bulkFaults: { abortAfterRecords: 200 } });
    const records = accounts(500, 'AB').filter((r) => r.Name !== null);
    const [job] = await startJobs(w.bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(await untilDone(w.bulk, job?.id as string)).toMatchObject({ state: 'Aborted', processed: 200 });
    const outcomes = await collectOutcomes(w.bulk, job?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      expected: job?.keys as string[],
    });
    expect(byOutcome(outcomes)).toEqual({ created: 200, unprocessed: 295 });

    const open = await w.bulk.createJob({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    await w.bulk.upload(open.id, 'ti_external_id__c,Name\nAB-x,X\n');
    expect((await w.bulk.abort(open.id)).state).toBe('Aborted');
    const left = await collectOutcomes(w.bulk, open.id, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(left).toEqual([{ key: 'AB-x', outcome: 'unprocessed' }]);
  });

  it('keeps a finished job InProgress for the given polls', async () => {
    w = await world({ bulkFaults: { inProgressPolls: 3 } });
    const [job] = await startJobs(w.bulk, 'Account', 'upsert', accounts(5, 'IP'), {
      externalIdFieldName: 'ti_external_id__c',
    });
    const seen: string[] = [];
    for (;;) {
      const status = await jobState(w.bulk, job?.id as string);
      if (status.processed === 5 || seen.length > 0) seen.push(status.state);
      if (status.done) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen).toEqual(['InProgress', 'InProgress', 'InProgress', 'JobComplete']);
  });

  it('refuses an upload to a closed job, a second upload, and an upload over the limit, as permanent errors', async () => {
    w = await world({ bulkMaxUploadBase64Bytes: 100 });
    const spec = {
      object: 'Account',
      operation: 'upsert' as const,
      externalIdFieldName: 'ti_external_id__c',
    };
    const closed = await w.bulk.createJob(spec);
    await w.bulk.upload(closed.id, 'ti_external_id__c,Name\nR-1,Uno\n');
    await w.bulk.close(closed.id);
    const late = await w.bulk.upload(closed.id, 'ti_external_id__c,Name\nR-2,Dos\n').catch((e: unknown) => e);
    expect(late).toBeInstanceOf(SalesforceRequestError);
    // The job may already have run by now: UploadComplete, InProgress or JobComplete, never Open.
    expect((late as Error).message).toMatch(
      new RegExp(
        `^Salesforce bulk upload ${closed.id} answered 400 INVALIDJOBSTATE: Job ${closed.id} is (UploadComplete|InProgress|JobComplete); data can be uploaded only while it is Open$`,
      ),
    );

    const twice = await w.bulk.createJob(spec);
    await w.bulk.upload(twice.id, 'ti_external_id__c,Name\nR-3,Tres\n');
    await expect(w.bulk.upload(twice.id, 'ti_external_id__c,Name\nR-4,Cuatro\n')).rejects.toThrow(
      `answered 400 INVALIDJOB: Found multiple contents for job: <${twice.id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
    );

    const big = await w.bulk.createJob(spec);
    const error = await w.bulk
      .upload(big.id, `ti_external_id__c,Name\n${'R-5,Cinco\n'.repeat(8)}`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceRequestError);
    expect((error as Error).message).toBe(
      `Salesforce bulk upload ${big.id} answered 413 REQUEST_ENTITY_TOO_LARGE: Job data is 140 bytes once base64-encoded; an upload may hold at most 100 (150 MB base64, about 100 MB of CSV). Split the data into several jobs`,
    );
  });

  it('fails a job whose line endings are not the job’s; CRLF and another delimiter work end to end', async () => {
    w = await world();
    const job = await w.bulk.createJob({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      lineEnding: 'CRLF',
    });
    await w.bulk.upload(job.id, 'ti_external_id__c,Name\nLE-1,"Dos\r\nlíneas"\n');
    await w.bulk.close(job.id);
    expect(await untilDone(w.bulk, job.id)).toEqual({
      state: 'Failed',
      processed: 0,
      failed: 0,
      done: true,
      errorMessage:
        'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF',
    });

    const crlf = await startJobs(
      w.bulk,
      'Account',
      'upsert',
      [{ ti_external_id__c: 'LE-2', Name: 'Dos\nlíneas' }],
      {
        externalIdFieldName: 'ti_external_id__c',
        lineEnding: 'CRLF',
      },
    );
    expect(await untilDone(w.bulk, crlf[0]?.id as string)).toMatchObject({ state: 'JobComplete', failed: 0 });

    const piped = await startJobs(
      w.bulk,
      'Account',
      'upsert',
      [{ ti_external_id__c: 'LE|3', Name: 'Tres, "3"' }],
      {
        externalIdFieldName: 'ti_external_id__c',
        lineEnding: 'CRLF',
        columnDelimiter: 'PIPE',
      },
    );
    await untilDone(w.bulk, piped[0]?.id as string);
    const outcomes = await collectOutcomes(w.bulk, piped[0]?.id as string, {
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      columnDelimiter: 'PIPE',
    });
    expect(outcomes).toEqual([{ key: 'LE|3', outcome: 'created', sfId: expect.stringMatching(/^001/) }]);
  });
});
