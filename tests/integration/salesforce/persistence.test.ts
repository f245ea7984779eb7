import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startSalesforceEmulator } from '../../../src/emulators/salesforce/index.js';
import { account, call, clientCredentialsToken, type SaveResult, tempDir } from './support.js';

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

type Page = { totalSize: number; records: Array<Record<string, unknown>> };

describe('persistence', () => {
  it('keeps records, credentials, keys, tokens, usage and jobs across a restart', async () => {
    const dataDir = newDir();
    const first = await startSalesforceEmulator({ dataDir });
    const token = await clientCredentialsToken(first);
    const written = await call<SaveResult[]>(
      first.url,
      'PATCH',
      '/composite/sobjects/Account/ti_external_id__c',
      token,
      {
        records: [account('P1'), account('P2')],
      },
    );
    const job = await call<{ id: string }>(first.url, 'POST', '/jobs/ingest', token, {
      object: 'Account',
      operation: 'insert',
    });
    const usage = first.counters().apiUsage;
    const key = readFileSync(first.credentials.privateKeyPath, 'utf8');
    const credentials = first.credentials;
    await first.stop();

    const second = await startSalesforceEmulator({ dataDir });
    try {
      expect(second.credentials).toEqual(credentials);
      expect(readFileSync(second.credentials.privateKeyPath, 'utf8')).toBe(key);
      expect(second.counters().apiUsage).toBe(usage);
      const read = await call<Page>(
        second.url,
        'GET',
        `/query?q=${encodeURIComponent('SELECT Id, Name FROM Account ORDER BY Name')}`,
        token,
      );
      expect(read.status).toBe(200);
      expect(read.body.records.map((r) => r.Id)).toEqual(written.body.map((r) => r.id));
      const info = await call<{ state: string }>(second.url, 'GET', `/jobs/ingest/${job.body.id}`, token);
      expect(info.body.state).toBe('Open');
      const more = await call<SaveResult[]>(
        second.url,
        'PATCH',
        '/composite/sobjects/Account/ti_external_id__c',
        token,
        {
          records: [account('P3')],
        },
      );
      expect(written.body.map((r) => r.id)).not.toContain(more.body[0]?.id);
    } finally {
      await second.stop();
    }
  });

  it('resumes Bulk jobs that were processing when the emulator stopped', async () => {
    const dataDir = newDir();
    const first = await startSalesforceEmulator({ dataDir });
    const token = await clientCredentialsToken(first);
    const job = await call<{ id: string }>(first.url, 'POST', '/jobs/ingest', token, {
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
    });
    const rows = Array.from({ length: 5000 }, (_, i) => `R-${i},Cliente ${i}`);
    await call(
      first.url,
      'PUT',
      `/jobs/ingest/${job.body.id}/batches`,
      token,
      `ti_external_id__c,Name\n${rows.join('\n')}\n`,
      {
        'content-type': 'text/csv',
      },
    );
    await call(first.url, 'PATCH', `/jobs/ingest/${job.body.id}`, token, { state: 'UploadComplete' });
    await first.stop();

    const second = await startSalesforceEmulator({ dataDir });
    try {
      let info: { state: string; numberRecordsProcessed: number; numberRecordsFailed: number } | undefined;
      for (let i = 0; i < 500 && info?.state !== 'JobComplete'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        info = (await call<typeof info>(second.url, 'GET', `/jobs/ingest/${job.body.id}`, token)).body;
      }
      expect(info).toMatchObject({
        state: 'JobComplete',
        numberRecordsProcessed: 5000,
        numberRecordsFailed: 0,
      });
      const count = await call<Page>(
        second.url,
        'GET',
        `/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`,
        token,
      );
      expect(count.body.totalSize).toBe(5000);
      const results = await call(second.url, 'GET', `/jobs/ingest/${job.body.id}/successfulResults`, token);
      expect(results.text.trimEnd().split('\n')).toHaveLength(5001);
    } finally {
      await second.stop();
    }
  });

  it('starts empty with reset, keeping credentials', async () => {
    const dataDir = newDir();
    const first = await startSalesforceEmulator({ dataDir });
    const token = await clientCredentialsToken(first);
    await call(first.url, 'POST', '/sobjects/Account', token, { Name: 'gone soon' });
    const { clientId } = first.credentials;
    await first.stop();

    const second = await startSalesforceEmulator({ dataDir, reset: true });
    try {
      expect(second.credentials.clientId).toBe(clientId);
      expect(second.counters().apiUsage).toBe(0);
      expect((await call(second.url, 'GET', '/limits', token)).status).toBe(401);
      const fresh = await clientCredentialsToken(second);
      const count = await call<Page>(
        second.url,
        'GET',
        `/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`,
        fresh,
      );
      expect(count.body.totalSize).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('refuses a data folder that another emulator is using', async () => {
    const dataDir = newDir();
    const first = await startSalesforceEmulator({ dataDir });
    try {
      await expect(startSalesforceEmulator({ dataDir })).rejects.toThrow(/is in use by another emulator/);
    } finally {
      await first.stop();
    }
    const again = await startSalesforceEmulator({ dataDir });
    await again.stop();
  });

  it('refuses a schema file that is not valid, naming the problem', async () => {
    const schemaPath = join(newDir(), 'schema.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      schemaPath,
      JSON.stringify({ objects: { Thing: { keyPrefix: 'a01', fields: { Name: { type: 'string' } } } } }),
    );
    await expect(startSalesforceEmulator({ dataDir: newDir(), schemaPath })).rejects.toThrow(
      /Thing, field Name: type string needs a length/,
    );
  });
});
