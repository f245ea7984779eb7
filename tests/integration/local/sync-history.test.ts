import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { functionTimeouts } from '../../../src/local/run.js';
import {
  HistoryQuotaError,
  type LambdaHandler,
  runLocalStateMachine,
} from '../../../src/local/stepfunctions.js';

/**
 * statemachines/sync.asl.yml as deployed, with every Lambda replaced by a stand-in that answers
 * as the real one would for one company, one entity and `pages` staged pages: the history events
 * the parent execution and each SyncPages child (a Distributed Map) record, counted by hand.
 */
const DEFINITION = 'statemachines/sync.asl.yml';

class PermanentPageError extends Error {
  constructor() {
    super('page cannot be transformed');
    this.name = 'MappingError';
  }
}

function handlers(pages: number, failPage?: number): Record<string, LambdaHandler> {
  return {
    plan: async () => ({
      runId: 'run-1',
      mode: 'delta',
      companies: [{ company: 'ITALCOL', waves: [['terceros']], removals: [] }],
    }),
    authenticate: async () => ({ ref: 'token-ref' }),
    extract: async () => ({ pages: Array.from({ length: pages }, (_, n) => ({ n })), bulk: false }),
    transform: async (event) => {
      const { page } = event as { page: { n: number } };
      if (page.n === failPage) throw new PermanentPageError();
      return { toSend: page.n === 0 ? 1 : 0 };
    },
    upsert: async () => ({ done: true }),
    report: async (event) =>
      (event as { action: string }).action === 'finish' ? { status: 'SUCCEEDED' } : {},
  };
}

interface State {
  States?: Record<string, State>;
  ItemProcessor?: State & { ProcessorConfig?: unknown };
  [field: string]: unknown;
}

/** A state of the definition by name, nested Map processors included. */
function findState(machine: State, name: string): State | undefined {
  for (const [key, state] of Object.entries(machine.States ?? {})) {
    if (key === name) return state;
    const nested = state.ItemProcessor ? findState(state.ItemProcessor, name) : undefined;
    if (nested) return nested;
  }
  return undefined;
}

async function runSync(pages: number, failPage?: number, definition: object | string = DEFINITION) {
  return runLocalStateMachine({
    definition,
    handlers: handlers(pages, failPage),
    functionTimeouts: functionTimeouts(),
    input: {},
  });
}

/*
 * Parent, hand count: ExecutionStarted 1; Plan (TaskStateEntered, LambdaFunctionScheduled,
 * Started, Succeeded, TaskStateExited) 5 -> 6; Authenticate 5 -> 11; SyncCompanies MapStateEntered,
 * MapStateStarted 2 -> 13; its iteration MapIterationStarted 1 -> 14; SyncWaves 2 -> 16; iteration
 * 1 -> 17; SyncEntities 2 -> 19; iteration 1 -> 20; Extract 5 -> 25; HasStagedPages (Choice)
 * 2 -> 27; SyncPages (Distributed) MapStateEntered, MapStateStarted, MapRunStarted 3 -> 30 and
 * MapRunSucceeded, MapStateSucceeded, MapStateExited 3 -> 33; CheckChanges (Pass) 2 -> 35;
 * NeedsUpsert (Choice) 2 -> 37; Upsert 5 -> 42; UpsertFinished (Choice) 2 -> 44; EntityDone
 * (Succeed) 2 -> 46; MapIterationSucceeded 1 -> 47; SyncEntities MapStateSucceeded, MapStateExited
 * 2 -> 49; MapIterationSucceeded 1 -> 50; SyncWaves 2 -> 52; RemoveWaves over no wave (no entity
 * removes anything) MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited 4 -> 56;
 * MapIterationSucceeded 1 -> 57; SyncCompanies 2 -> 59; Report 5 -> 64; CheckOutcome (Choice)
 * 2 -> 66; Succeeded (Succeed) 2 -> 68; ExecutionSucceeded 1 -> 69.
 */
const PARENT_EVENTS = 69;
/*
 * A SyncPages child: ExecutionStarted 1; Transform 5 -> 6; PageHasChanges (Choice) 2 -> 8;
 * ChangesStaged or NothingStaged (Pass) 2 -> 10; ExecutionSucceeded 1 -> 11.
 */
const PAGE_EVENTS = 11;

describe('the sync definition: history events of the parent and of each page', () => {
  it('3 pages: parent 69 events, each page a child of 11, one Transform per page', async () => {
    const result = await runSync(3);
    expect([
      result.status,
      result.historyEvents,
      result.childExecutions,
      result.maxChildHistoryEvents,
    ]).toEqual(['SUCCEEDED', PARENT_EVENTS, 3, PAGE_EVENTS]);
    expect(result.invocations).toEqual({
      plan: 1,
      authenticate: 1,
      extract: 1,
      transform: 3,
      upsert: 1,
      report: 1,
    });
  });

  it('a page that fails is caught and recorded inside its child (14 events) and the entity goes on', async () => {
    const result = await runSync(3, 2);
    // The failing page: ExecutionStarted 1; Transform TaskStateEntered 2, LambdaFunctionScheduled 3,
    // Started 4, Failed 5, TaskStateExited 6 (caught); PageFailed (report) 5 -> 11;
    // NothingStaged (Pass) 2 -> 13; ExecutionSucceeded 14.
    expect([result.status, result.historyEvents, result.maxChildHistoryEvents]).toEqual([
      'SUCCEEDED',
      PARENT_EVENTS,
      14,
    ]);
    expect(result.invocations).toEqual({
      plan: 1,
      authenticate: 1,
      extract: 1,
      transform: 3,
      upsert: 1,
      report: 2,
    });
  });

  it('3,000 pages: the parent still records 69 events, 3,000 children 11 each', async () => {
    const result = await runSync(3_000);
    expect([
      result.status,
      result.historyEvents,
      result.childExecutions,
      result.maxChildHistoryEvents,
    ]).toEqual(['SUCCEEDED', PARENT_EVENTS, 3_000, PAGE_EVENTS]);
    expect(result.invocations.transform).toBe(3_000);
  }, 120_000);

  it('the same 3,000 pages through an inline SyncPages would exceed the quota: 11 events a page land in the parent', async () => {
    const definition = parse(readFileSync(DEFINITION, 'utf8'), { merge: true }) as State;
    const pages = findState(definition, 'SyncPages');
    expect(pages?.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    if (!pages?.ItemProcessor) throw new Error('SyncPages not found');
    pages.ItemProcessor.ProcessorConfig = { Mode: 'INLINE' };
    delete pages.ToleratedFailurePercentage;
    delete pages.Label;
    // 31 events before SyncPages' iterations (see PARENT_EVENTS), then per page MapIterationStarted,
    // Transform 5, PageHasChanges 2, the Pass 2, MapIterationSucceeded = 11: the 2,270th page's
    // events cross 25,000 (31 + 2,269 x 11 = 24,990; + 11 = 25,001 at its MapIterationSucceeded).
    const run = runSync(3_000, undefined, definition);
    await expect(run).rejects.toThrow(HistoryQuotaError);
    await expect(run).rejects.toMatchObject({ count: 25_001 });
  }, 120_000);
});
