/** Self time per package/file and per function from a V8 CPU profile. */

export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a script lives: a package name, a repository path, or a kind of V8 frame. */
export function placeOf(url: string, root: string): string {
  if (url === '') return '(native/V8)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1] as string;
  if (path.startsWith('node:')) return 'node core';
  return path.startsWith(root) ? path.slice(root.length + 1) : path;
}

const AREAS: Array<[RegExp, string]> = [
  [
    /^src\/local\/|aws-local-stepfunctions|asl-validator|asl-path-validator|^ajv$|^yaml$|jsonpath-plus|jsonata|fast-uri/,
    'local Step Functions runner (definition, validation, states)',
  ],
  [/^src\/core\/store\/sync-store\.ts/, 'staging and store (gzip, JSON, item building)'],
  [/^src\/core\/store\/table\.ts|^@smithy\/|^@aws-sdk\//, 'DynamoDB client (AWS SDK v3)'],
  [
    /^src\/core\/source\/|^src\/core\/sync\/extract\.ts|^tedious$|^mssql$|^tarn$|^@js-joda|^@azure|^@typespec/,
    'SQL Server driver and extract',
  ],
  [/^src\/core\/(mapping|hash)\.ts|^src\/core\/sync\/transform\.ts/, 'mapping, hashing, transform'],
  [
    /^src\/core\/salesforce\/|^src\/core\/sync\/upsert\.ts|^got$|^p-limit$|^p-cancelable$|^@sindresorhus|^@szmarczak|^cacheable|^http2-wrapper/,
    'Salesforce client and upsert (got)',
  ],
  [/^functions\/|^src\/core\//, 'other sf-sync code (handlers, config, events, report)'],
  [/^bench\//, 'bench instrumentation (memory sampling, profiler)'],
  [/garbage collector/, 'garbage collector'],
];

/** The area a place belongs to (a package or a file of this repository). */
export function areaOf(place: string): string {
  for (const [pattern, area] of AREAS) if (pattern.test(place)) return area;
  return 'node core and V8 (I/O, sockets, timers, microtasks)';
}

export function summariseProfile(profile: CpuProfile, top = 25, root = ''): string {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  });
  const total = profile.endTime - profile.startTime;
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idle = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const place = functionName === '(garbage collector)' ? '(garbage collector)' : placeOf(url, root);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const name = `${functionName || '(anonymous)'}  ${placeOf(url, root)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  // Each sample charged to the nearest frame of this repository's code above it (its own time and
  // the library time it caused); samples with none above (async continuations inside a library,
  // timers, sockets) are charged to the library's own place.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const isOwn = (url: string) => {
    const path = url.replace(/^file:\/\//, '');
    return root !== '' && path.startsWith(root) && !path.includes('/node_modules/');
  };
  const byOwnFrame = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    let at: number | undefined = id;
    let label: string | undefined;
    let area: string | undefined;
    while (at !== undefined) {
      const frame = byId.get(at)?.callFrame;
      if (frame && isOwn(frame.url)) {
        label = `${frame.functionName || '(anonymous)'}  ${placeOf(frame.url, root)}`;
        area = areaOf(placeOf(frame.url, root));
        break;
      }
      at = parent.get(at);
    }
    if (node.callFrame.functionName === '(garbage collector)') area = 'garbage collector';
    area ??= areaOf(placeOf(node.callFrame.url, root));
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    label ??= `(no own frame) ${node.callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : placeOf(node.callFrame.url, root)}`;
    byOwnFrame.set(label, (byOwnFrame.get(label) ?? 0) + us);
  }
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const pct = (us: number) => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const lines = [
    `profile: ${ms(total).trim()} wall, ${ms(total - idle).trim()} busy (${pct(total - idle).trim()}), ${ms(idle).trim()} idle`,
    '',
    'self time by package / file:',
  ];
  for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${ms(us)} ${pct(us)}  ${place}`);
  lines.push('', 'busy time by area (nearest frame of this repository, else the library itself):');
  for (const [name, us] of [...byArea].sort((a, b) => b[1] - a[1]))
    lines.push(`  ${ms(us)} ${pct(us)}  ${name}`);
  lines.push('', 'time by nearest function of this repository on the stack (its libraries included):');
  for (const [name, us] of [...byOwnFrame].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${ms(us)} ${pct(us)}  ${name}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${ms(us)} ${pct(us)}  ${name}`);
  return lines.join('\n');
}
