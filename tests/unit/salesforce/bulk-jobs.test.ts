import { SalesforceRequestError, SalesforceUnavailableError } from '../../../src/core/errors.js';
import { BulkIngest, resultRow } from '../../../src/core/salesforce/bulk/ingest.js';
import {
  collectOutcomes,
  errorCodeOf,
  jobState,
  matchColumn,
  nextPollSeconds,
  startJobs,
} from '../../../src/core/salesforce/bulk/jobs.js';
import {
  type RestRequest,
  type RestResponse,
  SalesforceClient,
} from '../../../src/core/salesforce/client.js';

const token = {
  accessToken: 'T0',
  instanceUrl: 'https://acme.my.salesforce.com',
  expiresAt: Date.now() + 3600_000,
};
const BASE = 'https://acme.my.salesforce.com/services/data/v62.0';

/** A BulkIngest whose requests go to a fake answering from a script (streams as chunks of 5 characters). */
function bulkWith(answers: Array<RestResponse | Error>) {
  const sent: RestRequest[] = [];
  const client = new SalesforceClient({
    apiVersion: '62.0',
    token,
    refresh: async () => token,
    transport: async (r) => {
      sent.push(r);
      const next = answers.shift();
      if (!next) throw new Error(`no answer scripted for ${r.method} ${r.url}`);
      if (next instanceof Error) throw next;
      if (r.stream && typeof next.body === 'string') {
        const text = next.body;
        return {
          ...next,
          body: (async function* () {
            for (let i = 0; i < text.length; i += 5) yield text.slice(i, i + 5);
          })(),
        };
      }
      return next;
    },
  });
  return { bulk: new BulkIngest(client), sent };
}

const info = (id: string, state: string, extra: Record<string, unknown> = {}): RestResponse => ({
  statusCode: 200,
  body: { id, object: 'Account', operation: 'upsert', state, ...extra },
});
const csv = (text: string): RestResponse => ({ statusCode: 200, body: text });

describe('startJobs', () => {
  it('creates, uploads and closes one job per part, counting each call by kind', async () => {
    const records = Array.from({ length: 4 }, (_, i) => ({ Ext__c: `K-${i}`, Name: `N${i}` }));
    const { bulk, sent } = bulkWith([
      info('750A', 'Open'),
      { statusCode: 201, body: '' },
      info('750A', 'UploadComplete'),
      info('750B', 'Open'),
      { statusCode: 201, body: '' },
      info('750B', 'UploadComplete'),
    ]);
    // header "Ext__c,Name\n" 12 bytes + lines "K-i,Ni\n" 7 bytes: 3 lines fit in 33.
    const jobs = await startJobs(bulk, 'Account', 'upsert', records, {
      externalIdFieldName: 'Ext__c',
      maxBytes: 33,
    });
    expect(jobs).toEqual([
      { id: '750A', keys: ['K-0', 'K-1', 'K-2'], bytes: 33 },
      { id: '750B', keys: ['K-3'], bytes: 19 },
    ]);
    expect(sent.slice(0, 3)).toEqual([
      {
        method: 'POST',
        url: `${BASE}/jobs/ingest`,
        headers: { authorization: 'Bearer T0', 'content-type': 'application/json' },
        body: {
          object: 'Account',
          operation: 'upsert',
          externalIdFieldName: 'Ext__c',
          contentType: 'CSV',
          lineEnding: 'LF',
          columnDelimiter: 'COMMA',
        },
      },
      {
        method: 'PUT',
        url: `${BASE}/jobs/ingest/750A/batches`,
        headers: { authorization: 'Bearer T0', 'content-type': 'text/csv' },
        text: 'Ext__c,Name\nK-0,N0\nK-1,N1\nK-2,N2\n',
        // An upload may take longer than a JSON request (the client's requestTimeoutMs).
        timeoutMs: 240_000,
      },
      {
        method: 'PATCH',
        url: `${BASE}/jobs/ingest/750A`,
        headers: { authorization: 'Bearer T0', 'content-type': 'application/json' },
        body: { state: 'UploadComplete' },
      },
    ]);
    expect(bulk.calls).toEqual({
      'bulk.create': 2,
      'bulk.upload': 2,
      'bulk.close': 2,
      'bulk.abort': 0,
      'bulk.poll': 0,
      'bulk.results': 0,
    });
  });

  it('aborts the job whose upload was refused and throws the refusal, permanent', async () => {
    const { bulk, sent } = bulkWith([
      info('750A', 'Open'),
      { statusCode: 400, body: [{ errorCode: 'INVALIDJOB', message: 'Found multiple contents for job' }] },
      info('750A', 'Aborted'),
    ]);
    const started = startJobs(bulk, 'Account', 'upsert', [{ Ext__c: 'K' }], {
      externalIdFieldName: 'Ext__c',
    });
    const error = await started.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceRequestError);
    expect((error as SalesforceRequestError).transient).toBe(false);
    expect((error as Error).message).toBe(
      'Salesforce bulk upload 750A answered 400 INVALIDJOB: Found multiple contents for job',
    );
    expect(
      sent.map((r) => `${r.method} ${r.url.slice(BASE.length)} ${JSON.stringify(r.body ?? '')}`),
    ).toEqual([
      `POST /jobs/ingest ${JSON.stringify(sent[0]?.body)}`,
      'PUT /jobs/ingest/750A/batches ""',
      'PATCH /jobs/ingest/750A {"state":"Aborted"}',
    ]);
  });

  it('does not resend an upload whose answer was lost (a second PUT would be refused)', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { bulk, sent } = bulkWith([info('750A', 'Open'), reset, info('750A', 'Aborted')]);
    const started = startJobs(bulk, 'Account', 'upsert', [{ Ext__c: 'K' }], {
      externalIdFieldName: 'Ext__c',
    });
    await expect(started).rejects.toBeInstanceOf(SalesforceUnavailableError);
    expect(sent.map((r) => r.method)).toEqual(['POST', 'PUT', 'PATCH']);
  });

  it('reads the job after a close whose answer was lost instead of closing twice', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { bulk, sent } = bulkWith([reset, info('750A', 'InProgress')]);
    expect((await bulk.close('750A')).state).toBe('InProgress');
    expect(sent.map((r) => r.method)).toEqual(['PATCH', 'GET']);
  });

  it('refuses what cannot be matched back: insert jobs, records without the key column', async () => {
    const { bulk } = bulkWith([]);
    await expect(startJobs(bulk, 'Account', 'insert', [{ Name: 'x' }])).rejects.toThrow(
      'insert results cannot be matched back to records by a unique column we sent; use upsert on an external ID',
    );
    await expect(
      startJobs(bulk, 'Account', 'upsert', [{ Name: 'x' }], { externalIdFieldName: 'Ext__c' }),
    ).rejects.toThrow('Bulk upsert of Account: the records have no Ext__c column');
    await expect(startJobs(bulk, 'Account', 'delete', [{ Id: '001A' }, { Id: '' }])).rejects.toThrow(
      'Bulk: a record has no Id; every record of the job needs one',
    );
  });
});

describe('jobState and nextPollSeconds', () => {
  it('reads state and counts; done only in a terminal state', async () => {
    const { bulk } = bulkWith([
      info('750A', 'InProgress', { numberRecordsProcessed: 200, numberRecordsFailed: 2 }),
      info('750A', 'Failed', {
        numberRecordsProcessed: 400,
        numberRecordsFailed: 2,
        errorMessage: 'InvalidBatch : x',
      }),
    ]);
    expect(await jobState(bulk, '750A')).toEqual({
      state: 'InProgress',
      processed: 200,
      failed: 2,
      done: false,
    });
    expect(await jobState(bulk, '750A')).toEqual({
      state: 'Failed',
      processed: 400,
      failed: 2,
      done: true,
      errorMessage: 'InvalidBatch : x',
    });
    expect(bulk.calls['bulk.poll']).toBe(2);
  });

  it('refuses a job info it cannot read', async () => {
    const { bulk } = bulkWith([{ statusCode: 200, body: { id: '750A', state: 'Weird' } }]);
    await expect(jobState(bulk, '750A')).rejects.toThrow(
      /Salesforce bulk job info 750A: unexpected job info/,
    );
  });

  it('waits 5, 10, 20, 40, then 60 seconds, or as configured', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => nextPollSeconds(a))).toEqual([5, 10, 20, 40, 60, 60, 60]);
    expect([0, 1, 2].map((a) => nextPollSeconds(a, { firstSeconds: 1, maxSeconds: 3 }))).toEqual([1, 2, 3]);
    expect(() => nextPollSeconds(-1)).toThrow('poll attempt must be an integer >= 0, got -1');
  });
});

describe('outcomes', () => {
  it('matches upsert results by the external ID column, whatever their order', async () => {
    const { bulk, sent } = bulkWith([
      csv('"sf__Id","sf__Created","Ext__c","Name"\n"001B","false","K-2","b"\n"001A","true","K-0","a"\n'),
      csv(
        '"sf__Id","sf__Error","Ext__c","Name"\n"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --","K-1",""\n',
      ),
      csv('"Ext__c","Name"\n"K-3","d"\n'),
    ]);
    const outcomes = await collectOutcomes(bulk, '750A', {
      operation: 'upsert',
      externalIdFieldName: 'Ext__c',
      expected: ['K-0', 'K-1', 'K-2', 'K-3', 'K-4'],
    });
    expect(outcomes).toEqual([
      { key: 'K-2', outcome: 'updated', sfId: '001B' },
      { key: 'K-0', outcome: 'created', sfId: '001A' },
      {
        key: 'K-1',
        outcome: 'failed',
        error: 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --',
        errorCode: 'REQUIRED_FIELD_MISSING',
      },
      { key: 'K-3', outcome: 'unprocessed' },
      { key: 'K-4', outcome: 'unprocessed' },
    ]);
    expect(sent.map((r) => [r.method, r.url.slice(BASE.length), r.stream])).toEqual([
      ['GET', '/jobs/ingest/750A/successfulResults/', true],
      ['GET', '/jobs/ingest/750A/failedResults/', true],
      ['GET', '/jobs/ingest/750A/unprocessedrecords/', true],
    ]);
    expect(bulk.calls['bulk.results']).toBe(3);
  });

  it('matches delete results by the Id cell we sent, mapped to our key', async () => {
    const keyById = new Map([
      ['001000000000001', 'K-1'],
      ['001000000000002AAA', 'K-2'],
    ]);
    const { bulk } = bulkWith([
      csv('"sf__Id","sf__Created","Id"\n"001000000000001AAA","false","001000000000001"\n'),
      csv(
        '"sf__Id","sf__Error","Id"\n"001000000000002AAA","ENTITY_IS_DELETED:entity is deleted:--","001000000000002AAA"\n',
      ),
      csv('"Id"\n'),
    ]);
    const outcomes = await collectOutcomes(bulk, '750D', {
      operation: 'delete',
      keyOf: (fields) => keyById.get(fields.Id ?? '') ?? '?',
    });
    expect(outcomes).toEqual([
      { key: 'K-1', outcome: 'deleted', sfId: '001000000000001AAA' },
      {
        key: 'K-2',
        outcome: 'failed',
        sfId: '001000000000002AAA',
        error: 'ENTITY_IS_DELETED:entity is deleted:--',
        errorCode: 'ENTITY_IS_DELETED',
      },
    ]);
  });

  it('refreshes the token once when a result stream is refused 401, and maps 503 to a transient error', async () => {
    const { bulk, sent } = bulkWith([
      { statusCode: 401, body: [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }] },
      csv('"sf__Id","sf__Created","Id"\n"001A","false","001A"\n'),
      { statusCode: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'busy' }] },
    ]);
    const rows = [];
    for await (const row of bulk.results('750A', 'successfulResults')) rows.push(row);
    expect(rows).toEqual([{ id: '001A', created: false, fields: { Id: '001A' } }]);
    expect(sent).toHaveLength(2);
    const error = await jobState(bulk, '750A').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceUnavailableError);
    expect((error as SalesforceUnavailableError).transient).toBe(true);
  });

  it('reads sf__ columns apart from the original ones', () => {
    expect(resultRow(['sf__Id', 'sf__Created', 'A'], ['001', 'true', 'x'])).toEqual({
      id: '001',
      created: true,
      fields: { A: 'x' },
    });
    expect(errorCodeOf('weird')).toBe('UNKNOWN_EXCEPTION');
    expect(matchColumn('update')).toBe('Id');
  });
});
