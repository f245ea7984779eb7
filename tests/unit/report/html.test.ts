import { zeroCounts } from '../../../src/core/sync/report.js';
import type { ReportData } from '../../../src/report/data.js';
import { escapeHtml } from '../../../src/report/escape.js';
import { formatSeconds, MAX_LISTED_ROWS, renderReport } from '../../../src/report/html.js';
import { bucketBar, segmentWidths, timeline, trendChart } from '../../../src/report/svg.js';

const zero = zeroCounts();
const HOSTILE = '<script>alert("x")</script>';

function fixture(): ReportData {
  const terceros = {
    ...zero,
    extracted: 10,
    created: 6,
    updated: 1,
    rejected: 2,
    failed: 1,
    status: 'completed' as const,
  };
  const acuerdos = { ...zero, extracted: 4, unchanged: 4, status: 'completed' as const };
  return {
    run: {
      runId: 'run-1',
      status: 'SUCCEEDED',
      input: { companies: [`ACME${HOSTILE}`] },
      startedAt: '2026-11-29T10:00:00.000Z',
      finishedAt: '2026-11-29T10:00:10.000Z',
      seconds: 10,
      summary: {
        runId: 'run-1',
        status: 'SUCCEEDED',
        totals: { ...zero, extracted: 14, created: 6, updated: 1, unchanged: 4, rejected: 2, failed: 1 },
        companies: { ACME: { status: 'completed', entities: { terceros, acuerdos } } },
      },
      apiCalls: { apiCalls: 5, dataCalls: 4, authCalls: 1, orgUsed: 100, orgLimit: 15000 },
    },
    entities: [],
    pages: [
      {
        company: 'ACME',
        entity: 'terceros',
        page: 1,
        status: 'upserted',
        rows: 10,
        unchanged: 0,
        rejected: 2,
        toSend: 8,
        created: 6,
        updated: 1,
        failed: 1,
        extractedAt: '2026-11-29T10:00:01.000Z',
        transformedAt: '2026-11-29T10:00:02.000Z',
        upsertedAt: '2026-11-29T10:00:05.000Z',
      },
    ],
    failures: [
      {
        company: 'ACME',
        entity: 'terceros',
        key: `K1${HOSTILE}`,
        bucket: 'rejected',
        code: 'STRING_TOO_LONG',
        message: `Name: ${HOSTILE} & "more"`,
        fields: ['Name'],
      },
      {
        company: 'ACME',
        entity: 'terceros',
        key: 'K2',
        bucket: 'rejected',
        code: 'STRING_TOO_LONG',
        message: 'Name: too long',
      },
      {
        company: 'ACME',
        entity: 'terceros',
        key: 'K3',
        bucket: 'failed',
        code: 'INVALID_FIELD',
        message: 'Foreign key external ID: X not found',
        fields: [],
      },
    ],
    trend: [
      { runId: 'run-0', status: 'SUCCEEDED', sent: 20, failed: 0, seconds: 5 },
      { runId: 'run-1', status: 'SUCCEEDED', sent: 7, failed: 1, seconds: 10 },
    ],
    generatedAt: '2026-11-29T10:01:00.000Z',
  };
}

describe('escapeHtml', () => {
  it('escapes the five characters that can break out of text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderReport', () => {
  const html = renderReport(fixture());

  it('shows ERP values as text: the only script element is the filter', () => {
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('K1&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Name: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;more&quot;');
    expect(html).toContain('&quot;ACME&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;&quot;');
  });

  it('forbids every fetch with a Content-Security-Policy and links nothing outside the file', () => {
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`,
    );
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('puts the run totals and each entity bucket in cells with their numbers', () => {
    const totals = [...html.matchAll(/data-total="(\w+)">(\d+)</g)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(totals)).toEqual({
      extracted: 14,
      created: 6,
      updated: 1,
      unchanged: 4,
      rejected: 2,
      failed: 1,
      skipped: 0,
      deleted: 0,
      left: 0,
    });
    expect(html).toContain('<td class="n" data-bucket="rejected">2</td>');
    expect(html).toContain('<p>Status: <span id="run-status" class="status SUCCEEDED">SUCCEEDED</span></p>');
    expect(html).toContain('<td id="run-duration">10.0 s</td>');
  });

  it('counts rejected and failed rows by code, most frequent first', () => {
    const byCode = html.slice(
      html.indexOf('id="by-code"'),
      html.indexOf('</table>', html.indexOf('id="by-code"')),
    );
    expect(
      [...byCode.matchAll(/<td>(\w+)<\/td><td>(\w+)<\/td><td class="n">(\d+)</g)].map((m) => m.slice(1)),
    ).toEqual([
      ['rejected', 'STRING_TOO_LONG', '2'],
      ['failed', 'INVALID_FIELD', '1'],
    ]);
  });

  it('lists every row with filter attributes and offers each company, entity and code once', () => {
    expect(html.match(/<tr class="failure"/g)).toHaveLength(3);
    expect(html).toContain(
      '<select id="f-code"><option value="">all</option><option value="INVALID_FIELD">INVALID_FIELD</option><option value="STRING_TOO_LONG">STRING_TOO_LONG</option></select>',
    );
    expect(html).toContain('<span id="shown">3</span> of 3 rows shown');
  });

  it('shows the API calls used and left', () => {
    expect(html).toContain(
      'Used <b data-api="total">5</b> (data <span data-api="data">4</span>, auth <span data-api="auth">1</span>); 14900 of 15000 left',
    );
  });

  it('caps the list and says where the rest is', () => {
    const data = fixture();
    const one = data.failures[1] as ReportData['failures'][number];
    data.failures = Array.from({ length: MAX_LISTED_ROWS + 2 }, (_, i) => ({ ...one, key: `K${i}` }));
    const big = renderReport(data);
    expect(big.match(/<tr class="failure"/g)).toHaveLength(MAX_LISTED_ROWS);
    expect(big).toContain(
      `The first ${MAX_LISTED_ROWS} of ${MAX_LISTED_ROWS + 2} rows; the error file has them all.`,
    );
  });

  it('says what is missing for an unfinished run with nothing recorded', () => {
    const data = fixture();
    data.run = { runId: 'run-2', status: 'RUNNING', input: {} };
    data.pages = [];
    data.failures = [];
    const page = renderReport(data);
    expect(page).toContain('The run has no summary (it did not finish).');
    expect(page).toContain('No step timestamps were recorded for this run.');
    expect(page).toContain('<p class="note" id="api-calls">Not recorded for this run.</p>');
    expect(page).not.toContain('<script');
  });
});

describe('bucketBar', () => {
  it('draws one segment per non-empty bucket, as wide as its share', () => {
    const svg = bucketBar(
      { created: 3, updated: 1, unchanged: 0, rejected: 0, failed: 0, skipped: 0, deleted: 0 },
      400,
      10,
    );
    expect(
      [...svg.matchAll(/data-bucket="(\w+)" x="([\d.]+)" y="0" width="([\d.]+)"/g)].map((m) => m.slice(1)),
    ).toEqual([
      ['created', '0', '300'],
      ['updated', '300', '100'],
    ]);
    expect(svg).toContain('<title>created: 3</title>');
  });

  it('keeps a few rejected rows among thousands visible: 3 px at least, taken from the widest', () => {
    expect(segmentWidths([1995, 0, 5], 360)).toEqual([357, 0, 3]);
    expect(segmentWidths([0, 0], 360)).toEqual([0, 0]);
  });

  it('draws an empty grey bar for an entity with no rows', () => {
    expect(bucketBar({ ...zero }, 100, 10)).toContain('<title>no rows</title>');
  });
});

describe('timeline', () => {
  it('orders lanes as the run summary lists companies and entities', () => {
    const data = fixture();
    const page = (entity: string) => ({ ...(data.pages[0] as ReportData['pages'][number]), entity });
    data.pages = [page('acuerdos'), page('terceros')];
    const html = renderReport(data);
    expect(html.indexOf('>ACME terceros</text>')).toBeLessThan(html.indexOf('>ACME acuerdos</text>'));
  });

  it('places a tick per page step on the run time axis', () => {
    const data = fixture();
    const svg = timeline(
      [{ label: 'ACME terceros', pages: data.pages }],
      data.run.startedAt,
      data.run.finishedAt,
    );
    const ticks = [...svg.matchAll(/data-step="(\w+)" x="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
    // 190 px of labels, 620 px for 10 s: a tick is 1 px left of its time.
    expect(ticks).toEqual([
      ['extract', 190 + 62 - 1],
      ['transform', 190 + 124 - 1],
      ['upsert', 190 + 310 - 1],
    ]);
    expect(svg).toContain('>10 s</text>');
  });
});

describe('trendChart', () => {
  it('draws sent and failed as lines and the durations as bars, marking the current run', () => {
    const svg = trendChart(fixture().trend, 'run-1');
    // 140 px of height for 20 records: sent 20 at the top (y 20), 7 at 160 - 49; failed 1 at 160 - 7.
    expect(svg).toContain(
      '<polyline class="sent" fill="none" stroke="#2e7d32" stroke-width="2" points="30,20 610,111"/>',
    );
    expect(svg).toContain('points="30,160 610,153"');
    expect(svg.match(/class="dur current"/g)).toHaveLength(1);
    expect(svg).toContain('<title>run-1: SUCCEEDED, sent 7, failed 1, 10 s</title>');
  });

  it('says so when there are no runs', () => {
    expect(trendChart([], 'run-1')).toBe('<p class="note">No runs recorded.</p>');
  });
});

describe('formatSeconds', () => {
  it('reads as seconds, then minutes', () => {
    expect([formatSeconds(undefined), formatSeconds(2.25), formatSeconds(75)]).toEqual([
      'unknown',
      '2.3 s',
      '1 min 15 s',
    ]);
  });
});
