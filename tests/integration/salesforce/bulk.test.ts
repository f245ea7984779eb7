import { rmSync } from 'node:fs';
import { startSalesforceEmulator } from '../../../src/emulators/salesforce/index.js';
import {
  account,
  call,
  clientCredentialsToken,
  type ErrorBody,
  type Org,
  startOrg,
  tempDir,
} from './support.js';

let org: Org;

beforeAll(async () => {
  org = await startOrg();
  await org.api('PATCH', '/composite/sobjects/Account/ti_external_id__c', { records: [account('B-PARENT')] });
});

afterAll(async () => {
  await org.close();
});

type Job = Record<string, unknown> & { id: string; state: string };

const createJob = async (spec: Record<string, unknown>) => {
  const reply = await org.api<Job>('POST', '/jobs/ingest', { contentType: 'CSV', lineEnding: 'LF', ...spec });
  expect(reply.status).toBe(200);
  return reply.body;
};

const upload = (id: string, csv: string) =>
  org.api('PUT', `/jobs/ingest/${id}/batches`, csv, { 'content-type': 'text/csv' });

const close = (id: string) => org.api<Job>('PATCH', `/jobs/ingest/${id}`, { state: 'UploadComplete' });

async function waitFor(id: string, states: string[]): Promise<Job> {
  for (let i = 0; i < 200; i++) {
    const info = await org.api<Job>('GET', `/jobs/ingest/${id}`);
    if (states.includes(info.body.state)) return info.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`job ${id} never reached ${states.join('|')}`);
}

const csvText = async (id: string, kind: string) => (await org.api('GET', `/jobs/ingest/${id}/${kind}`)).text;

describe('Bulk API 2.0 ingest', () => {
  it('runs an upsert job with a parent lookup column through its whole lifecycle', async () => {
    const job = await createJob({
      object: 'RetailStore',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    expect(job).toEqual({
      id: expect.stringMatching(/^750\w{15}$/),
      operation: 'upsert',
      object: 'RetailStore',
      createdById: expect.stringMatching(/^005/),
      createdDate: expect.any(String),
      systemModstamp: expect.any(String),
      state: 'Open',
      externalIdFieldName: 'ti_external_id__c',
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: 62,
      contentUrl: `services/data/v62.0/jobs/ingest/${job.id}/batches`,
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
    });
    const csv = [
      'ti_external_id__c,Name,Account.ti_external_id__c,City,ti_latitud__c,ti_activo__c,ti_fecha_apertura__c',
      'BS-1,"Tienda ""Uno""",ITALCOL-B-PARENT,Bogotá,4.6097,true,2020-02-29',
      'BS-2,Tienda Dos,ITALCOL-NOPE,Cali,,false,',
      'BS-3,,ITALCOL-B-PARENT,Cali,,,',
      'BS-4,"Tienda, Cuatro",ITALCOL-B-PARENT,#N/A,abc,1,',
      'BS-5,Tienda Cinco,ITALCOL-B-PARENT,"Multi',
      'line",3.5,0,2021-01-01',
    ].join('\n');
    expect((await upload(job.id, csv)).status).toBe(201);
    const closed = await close(job.id);
    expect(closed.body.state).toBe('UploadComplete');
    const done = await waitFor(job.id, ['JobComplete', 'Failed']);
    expect(done).toMatchObject({
      state: 'JobComplete',
      numberRecordsProcessed: 5,
      numberRecordsFailed: 3,
      jobType: 'V2Ingest',
    });

    const successful = (await csvText(job.id, 'successfulResults')).trimEnd().split('\n');
    expect(successful[0]).toBe(
      '"sf__Id","sf__Created","ti_external_id__c","Name","Account.ti_external_id__c","City","ti_latitud__c","ti_activo__c","ti_fecha_apertura__c"',
    );
    expect(successful[1]).toMatch(
      /^"0ZS\w{15}","true","BS-1","Tienda ""Uno""","ITALCOL-B-PARENT","Bogotá","4.6097","true","2020-02-29"$/,
    );
    expect(successful.slice(2).join('\n')).toMatch(
      /^"0ZS\w{15}","true","BS-5","Tienda Cinco","ITALCOL-B-PARENT","Multi\nline","3.5","0","2021-01-01"$/,
    );

    const failed = (await csvText(job.id, 'failedResults')).trimEnd().split('\n');
    expect(failed[0]).toMatch(/^"sf__Id","sf__Error","ti_external_id__c"/);
    expect(failed.slice(1)).toEqual([
      expect.stringContaining(
        '"INVALID_FIELD:Foreign key external ID: ITALCOL-NOPE not found for field ti_external_id__c in entity Account: --","BS-2"',
      ),
      expect.stringContaining('"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --","BS-3"'),
      expect.stringContaining(
        '"INVALID_TYPE_ON_FIELD_IN_RECORD:Latitud: value not of required type: abc:ti_latitud__c --","BS-4"',
      ),
    ]);
    expect((await csvText(job.id, 'unprocessedrecords')).trimEnd().split('\n')).toHaveLength(1);

    const stores = await org.api<{ records: Array<Record<string, unknown>> }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT Name, City, ti_latitud__c, ti_activo__c, Account.Name FROM RetailStore WHERE ti_external_id__c IN ('BS-1','BS-5') ORDER BY Name")}`,
    );
    expect(
      stores.body.records.map(({ attributes: _a, Account: parent, ...r }) => ({
        ...r,
        parent: (parent as { Name: string }).Name,
      })),
    ).toEqual([
      {
        Name: 'Tienda "Uno"',
        City: 'Bogotá',
        ti_latitud__c: 4.6097,
        ti_activo__c: true,
        parent: 'Cliente B-PARENT',
      },
      {
        Name: 'Tienda Cinco',
        City: 'Multi\nline',
        ti_latitud__c: 3.5,
        ti_activo__c: false,
        parent: 'Cliente B-PARENT',
      },
    ]);

    const update = await createJob({
      object: 'RetailStore',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    await upload(update.id, 'ti_external_id__c,City\nBS-1,#N/A\nBS-5,\n');
    await close(update.id);
    await waitFor(update.id, ['JobComplete']);
    expect(await csvText(update.id, 'successfulResults')).toMatch(
      /"false","BS-1","#N\/A"\n.*"false","BS-5",""\n$/,
    );
    const after = await org.api<{ records: Array<{ City: string | null }> }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT City FROM RetailStore WHERE ti_external_id__c IN ('BS-1','BS-5') ORDER BY ti_external_id__c")}`,
    );
    expect(after.body.records.map((r) => r.City)).toEqual([null, 'Multi\nline']);

    expect((await org.api('DELETE', `/jobs/ingest/${job.id}`)).status).toBe(204);
    expect((await org.api('GET', `/jobs/ingest/${job.id}`)).status).toBe(404);
  });

  it('inserts, updates and deletes by Id', async () => {
    const insert = await createJob({ object: 'Account', operation: 'insert' });
    await upload(insert.id, 'Name,ti_external_id__c\nUno,BI-1\nDos,BI-2\n');
    await close(insert.id);
    await waitFor(insert.id, ['JobComplete']);
    const ids = (await csvText(insert.id, 'successfulResults'))
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]?.replace(/"/g, '') as string);
    expect(ids).toHaveLength(2);

    const update = await createJob({ object: 'Account', operation: 'update' });
    await upload(update.id, `Id,Phone\n${ids[0]},111\n001000000000000AAA,222\n`);
    await close(update.id);
    const updated = await waitFor(update.id, ['JobComplete']);
    expect(updated).toMatchObject({ numberRecordsProcessed: 2, numberRecordsFailed: 1 });

    const remove = await createJob({ object: 'Account', operation: 'delete' });
    await upload(remove.id, `Id\n${ids.join('\n')}\n`);
    await close(remove.id);
    expect(await waitFor(remove.id, ['JobComplete'])).toMatchObject({
      numberRecordsProcessed: 2,
      numberRecordsFailed: 0,
    });
    expect((await org.api('GET', `/sobjects/Account/${ids[0]}`)).status).toBe(404);
  });

  it('fails the job when a column is unknown, leaving every row unprocessed', async () => {
    const job = await createJob({ object: 'Account', operation: 'insert' });
    await upload(job.id, 'Name,Nope__c\na,b\nc,d\n');
    await close(job.id);
    const failed = await waitFor(job.id, ['Failed', 'JobComplete']);
    expect(failed).toMatchObject({
      state: 'Failed',
      errorMessage: 'InvalidBatch : Field name not found : Nope__c',
      numberRecordsProcessed: 0,
    });
    expect(await csvText(job.id, 'unprocessedrecords')).toBe('"Name","Nope__c"\n"a","b"\n"c","d"\n');
  });

  it('aborts an open job and keeps its rows as unprocessed', async () => {
    const job = await createJob({ object: 'Account', operation: 'insert' });
    await upload(job.id, 'Name\nx\n');
    const aborted = await org.api<Job>('PATCH', `/jobs/ingest/${job.id}`, { state: 'Aborted' });
    expect(aborted.body.state).toBe('Aborted');
    expect(await csvText(job.id, 'unprocessedrecords')).toBe('"Name"\n"x"\n');
    const reclose = await close(job.id);
    expect(reclose.status).toBe(400);
    expect((reclose.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALIDJOBSTATE');
  });

  it('refuses invalid jobs, second uploads, non-CSV uploads and deleting an open job', async () => {
    const noExt = await org.api<ErrorBody>('POST', '/jobs/ingest', {
      object: 'Account',
      operation: 'upsert',
    });
    expect(noExt.status).toBe(400);
    expect(noExt.body[0]?.message).toMatch(/External ID was blank for Account/);
    const badOp = await org.api<ErrorBody>('POST', '/jobs/ingest', { object: 'Account', operation: 'merge' });
    expect(badOp.body[0]?.message).toMatch(
      /Invalid operation: merge; accepted: insert, update, upsert, delete, hardDelete/,
    );
    const unknownObject = await org.api<ErrorBody>('POST', '/jobs/ingest', {
      object: 'Contact',
      operation: 'insert',
    });
    expect(unknownObject.status).toBe(404);

    const job = await createJob({ object: 'Account', operation: 'insert' });
    const wrongType = await org.api<ErrorBody>('PUT', `/jobs/ingest/${job.id}/batches`, 'Name\nx\n', {
      'content-type': 'application/json',
    });
    expect(wrongType.status).toBe(400);
    expect((await upload(job.id, 'Name\nx\n')).status).toBe(201);
    expect((await upload(job.id, 'Name\ny\n')).status).toBe(400);
    const deleteOpen = await org.api<ErrorBody>('DELETE', `/jobs/ingest/${job.id}`);
    expect(deleteOpen.status).toBe(400);
    expect(deleteOpen.body[0]?.errorCode).toBe('INVALIDJOBSTATE');
    expect((await org.api('GET', '/jobs/ingest/750000000000000AAA')).status).toBe(404);
    const list = await org.api<{ records: Job[] }>('GET', '/jobs/ingest');
    expect(list.body.records.map((j) => j.id)).toContain(job.id);
  });

  it('counts each Bulk endpoint', async () => {
    org.emulator.resetCounters();
    const job = await createJob({ object: 'Account', operation: 'insert' });
    await upload(job.id, 'Name\nx\n');
    await close(job.id);
    await waitFor(job.id, ['JobComplete']);
    await csvText(job.id, 'successfulResults');
    await csvText(job.id, 'failedResults');
    await csvText(job.id, 'unprocessedrecords');
    await org.api('DELETE', `/jobs/ingest/${job.id}`);
    const { byEndpoint } = org.emulator.counters();
    expect(byEndpoint).toMatchObject({
      'bulk.ingest.create': 1,
      'bulk.ingest.upload': 1,
      'bulk.ingest.uploadComplete': 1,
      'bulk.ingest.info': expect.any(Number),
      'bulk.ingest.successfulResults': 1,
      'bulk.ingest.failedResults': 1,
      'bulk.ingest.unprocessedRecords': 1,
      'bulk.ingest.delete': 1,
    });
  });
});

describe('Bulk API 2.0 internal batches', () => {
  it('resumes a job of three parallel 10,000-record batches after a restart, each row processed once', async () => {
    const dataDir = tempDir();
    const rows = Array.from({ length: 20_001 }, (_, i) => `RB-${i},Cliente ${i}`);
    const first = await startSalesforceEmulator({ dataDir, lockHoldMs: 10, recordCostMs: 0 });
    const token = await clientCredentialsToken(first);
    const job = await call<Job>(first.url, 'POST', '/jobs/ingest', token, {
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      contentType: 'CSV',
      lineEnding: 'LF',
    });
    const id = job.body.id;
    await call(
      first.url,
      'PUT',
      `/jobs/ingest/${id}/batches`,
      token,
      `ti_external_id__c,Name\n${rows.join('\n')}\n`,
      {
        'content-type': 'text/csv',
      },
    );
    await call(first.url, 'PATCH', `/jobs/ingest/${id}`, token, { state: 'UploadComplete' });
    let midway = 0;
    while (midway === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      midway = (await call<Job>(first.url, 'GET', `/jobs/ingest/${id}`, token)).body
        .numberRecordsProcessed as number;
    }
    await first.stop();
    expect(midway).toBeLessThan(20_001);

    const second = await startSalesforceEmulator({ dataDir, lockHoldMs: 10, recordCostMs: 0 });
    try {
      let info: Job | undefined;
      for (let i = 0; i < 1000 && info?.state !== 'JobComplete'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        info = (await call<Job>(second.url, 'GET', `/jobs/ingest/${id}`, token)).body;
      }
      expect(info).toMatchObject({
        state: 'JobComplete',
        numberRecordsProcessed: 20_001,
        numberRecordsFailed: 0,
      });
      const soql = encodeURIComponent("SELECT COUNT() FROM Account WHERE ti_external_id__c LIKE 'RB-%'");
      const count = await call<{ totalSize: number }>(second.url, 'GET', `/query?q=${soql}`, token);
      expect(count.body.totalSize).toBe(20_001);
      const results = (await call(second.url, 'GET', `/jobs/ingest/${id}/successfulResults`, token)).text;
      const keys = results
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[2]);
      expect(keys).toHaveLength(20_001);
      expect(new Set(keys).size).toBe(20_001);
      // Not in file order: the parallel batches' chunks interleave (the first chunk of each batch, then the second...).
      expect(keys.slice(198, 202)).toEqual(['"RB-198"', '"RB-199"', '"RB-10000"', '"RB-10001"']);
      expect(keys[400]).toBe('"RB-20000"');
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
