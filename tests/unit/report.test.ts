import type { EntityRecord, PageRecord } from '../../src/core/store/sync-store.js';
import { failureText, summarizeEntity } from '../../src/core/sync/report.js';

const entity = (over: Partial<EntityRecord> = {}): EntityRecord => ({
  company: 'ITALCOL',
  entity: 'terceros',
  status: 'extracted',
  extracted: 0,
  skipped: 0,
  pages: 2,
  failedPages: 0,
  ...over,
});
const page = (over: Partial<PageRecord>): PageRecord => ({
  company: 'ITALCOL',
  entity: 'terceros',
  page: 1,
  status: 'upserted',
  rows: 0,
  unchanged: 0,
  rejected: 0,
  toSend: 0,
  created: 0,
  updated: 0,
  failed: 0,
  ...over,
});

describe('summarizeEntity', () => {
  it('adds what Extract did not stage to the staged pages: buckets add up to the rows of the view plus those that left it', () => {
    const s = summarizeEntity(
      entity({
        extracted: 1010,
        unchanged: 900,
        rejectedBefore: 3,
        toRemove: 5,
        removed: 4,
        removeFailed: 1,
      }),
      [
        page({ rows: 100, rejected: 2, toSend: 98, created: 50, updated: 47, failed: 1 }),
        page({ page: 2, rows: 7, toSend: 7, updated: 7 }),
      ],
    );
    expect(s).toEqual({
      status: 'completed',
      extracted: 1010,
      unchanged: 900,
      rejected: 5,
      created: 50,
      updated: 54,
      failed: 2,
      skipped: 0,
      deleted: 4,
      left: 5,
    });
    const buckets = s.created + s.updated + s.unchanged + s.rejected + s.failed + s.skipped + s.deleted;
    expect(buckets).toBe(s.extracted + s.left);
  });

  it('counts the rows a failed page could not account for as failed, and fails the entity', () => {
    const s = summarizeEntity(entity({ failedPages: 1, extracted: 1000, unchanged: 500 }), [
      page({
        rows: 500,
        toSend: 500,
        created: 200,
        status: 'failed',
        error: 'SalesforceUnavailableError: down',
      }),
    ]);
    expect(s).toMatchObject({
      status: 'failed',
      extracted: 1000,
      unchanged: 500,
      created: 200,
      failed: 300,
      error: 'SalesforceUnavailableError: down',
    });
  });

  it('reports a skipped entity with its rows in the skipped bucket', () => {
    expect(
      summarizeEntity(
        entity({ status: 'skipped', extracted: 42, skipped: 42, error: 'parent entity terceros failed' }),
        [],
      ),
    ).toMatchObject({
      status: 'skipped',
      extracted: 42,
      skipped: 42,
    });
  });

  it('reports an entity that never ran as failed with the company error', () => {
    expect(summarizeEntity(undefined, [], 'SourceLoginError: Login failed')).toMatchObject({
      status: 'failed',
      error: 'SourceLoginError: Login failed',
      extracted: 0,
    });
  });
});

describe('failureText', () => {
  it("shows Lambda's errorMessage from the Cause", () => {
    expect(
      failureText({
        Error: 'SourceUnavailableError',
        Cause: JSON.stringify({ errorType: 'SourceUnavailableError', errorMessage: 'connect ECONNREFUSED' }),
      }),
    ).toBe('SourceUnavailableError: connect ECONNREFUSED');
    expect(failureText({ Error: 'States.Timeout', Cause: 'Task timed out' })).toBe(
      'States.Timeout: Task timed out',
    );
  });
});
