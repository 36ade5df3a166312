import { relative } from 'node:path';

/** The parts of V8's `.cpuprofile` format (what `node --cpu-prof` writes) read here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  /** Monotonic clock, µs. */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface Frame {
  readonly key: string;
  readonly area: string;
  readonly special: boolean;
  readonly parent?: number;
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** Where a frame's code lives: a package, a `node:` module, the library, or the harness. */
function areaOf(url: string, functionName: string, root: string): string {
  if (SPECIAL.has(functionName)) return functionName;
  if (url === '') return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const [first, second] = url.slice(nm + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const lib = url.indexOf('/libs/rtc-messaging/src/');
  if (lib !== -1) return `library: ${url.slice(lib + '/libs/rtc-messaging/src/'.length)}`;
  if (url.includes('/bench/')) return 'bench harness';
  return relative(root, url.replace(/^file:\/\//, ''));
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const lib = url.indexOf('/libs/rtc-messaging/src/');
  if (lib !== -1) return `lib/${url.slice(lib + '/libs/rtc-messaging/src/'.length)}`;
  const bench = url.indexOf('/bench/');
  if (bench !== -1) return url.slice(bench + 1);
  return url;
}

export interface ProfileSummary {
  /** Sampled time inside the window, µs (idle included). */
  readonly totalUs: number;
  readonly idleUs: number;
  /** Self time per function, heaviest first. */
  readonly selfByFunction: readonly [string, number][];
  /** Self time per area (package, node internals, library file…), heaviest first. */
  readonly selfByArea: readonly [string, number][];
  /** Time with the area anywhere on the stack (what it costs including what it calls). */
  readonly inclusiveByArea: readonly [string, number][];
  /** Time with the library function anywhere on the stack. */
  readonly inclusiveByLibraryFunction: readonly [string, number][];
}

const sortDesc = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);

const add = (m: Map<string, number>, key: string, us: number) => m.set(key, (m.get(key) ?? 0) + us);

/**
 * Sums a profile's samples taken within `[fromUs, toUs]` (the monotonic clock the profiler stamps
 * samples with); each sample counts for the time until the next one.
 */
export function summarizeProfile(
  profile: CpuProfile,
  window: readonly [number, number] | undefined,
  root: string,
): ProfileSummary {
  const frames = new Map<number, Frame>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parents.set(c, node.id);
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName, root);
    frames.set(node.id, {
      key: SPECIAL.has(functionName)
        ? functionName
        : `${functionName || '(anonymous)'}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)'}`,
      area,
      special: SPECIAL.has(functionName),
      parent: parents.get(node.id),
    });
  }

  const self = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclArea = new Map<string, number>();
  const inclLib = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = profile.startTime;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    const weight = timeDeltas[i + 1] ?? 0;
    if (window && (t < window[0] || t > window[1])) continue;
    const leaf = frames.get(samples[i]);
    if (!leaf) continue;
    total += weight;
    if (leaf.key === '(idle)') idle += weight;
    add(self, leaf.key, weight);
    add(selfArea, leaf.area, weight);
    const areas = new Set<string>();
    const libFns = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined;) {
      const frame = frames.get(id);
      if (!frame) break;
      if (!frame.special) {
        areas.add(frame.area);
        if (frame.area.startsWith('library: ')) libFns.add(frame.key);
      } else if (frame.key !== '(root)') areas.add(frame.area);
      id = frame.parent;
    }
    for (const a of areas) add(inclArea, a, weight);
    for (const f of libFns) add(inclLib, f, weight);
  }
  return {
    totalUs: total,
    idleUs: idle,
    selfByFunction: sortDesc(self),
    selfByArea: sortDesc(selfArea),
    inclusiveByArea: sortDesc(inclArea),
    inclusiveByLibraryFunction: sortDesc(inclLib),
  };
}
