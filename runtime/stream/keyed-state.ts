/**
 * Keyed state of one operator subtask, kept on the heap (Flink's `HeapKeyedStateBackend`): value,
 * list and map state scoped to the current key, with an optional time-to-live, and snapshots
 * split by key group so a restore can take any subset of groups (rescaling).
 *
 * TTL follows Flink's defaults (`StateTtlConfig`: updated on create and write, expired values never
 * returned): an entry written at processing time t expires at t + ttlMs; list elements and map
 * entries expire one by one. Expired entries are dropped when read and left out of snapshots.
 *
 * Values must survive `JSON.stringify` (numbers, strings, booleans, null, arrays, plain objects);
 * a snapshot is UTF-8 JSON: `{"v":1,"maxParallelism":M,"states":{name:{"kind","groups":{g:[[key,entry]…]}}}}`.
 */
import { WrtError } from '../errors.js';
import { keyGroupOf, type KeyGroupRange, DEFAULT_MAX_PARALLELISM } from './key-groups.js';

export type StateKey = number | string;
type Kind = 'value' | 'list' | 'map';
interface Stamped<T> {
  v: T;
  /** Processing time (ms) after which the entry is gone; absent: never. */
  e?: number;
}
type Entry = Stamped<unknown> | Stamped<unknown>[] | Record<string, Stamped<unknown>>;

export interface StateOptions {
  /** Time to live in processing-time ms; undefined: forever. */
  ttlMs?: number;
}

export interface ValueState<T> {
  value(): T | undefined;
  update(v: T): void;
  clear(): void;
}
export interface ListState<T> {
  get(): T[];
  add(v: T): void;
  update(values: T[]): void;
  clear(): void;
}
export interface MapState<V> {
  get(k: string): V | undefined;
  put(k: string, v: V): void;
  remove(k: string): void;
  contains(k: string): boolean;
  entries(): [string, V][];
  clear(): void;
}

interface Table {
  kind: Kind;
  ttlMs?: number;
  /** key group → key → entry */
  groups: Map<number, Map<StateKey, Entry>>;
}

/** Whether `e` has expired at processing time `now` (ms). */
const expiredAt = (e: Stamped<unknown>, now: number): boolean => e.e !== undefined && now >= e.e;

export class KeyedStateBackend {
  private readonly tables = new Map<string, Table>();
  private key: StateKey | null = null;
  private group = 0;

  /**
   * @param range the key groups this subtask owns; keys outside it are refused.
   * @param now processing-time clock in ms (TTL).
   */
  constructor(
    readonly range: KeyGroupRange,
    readonly maxParallelism = DEFAULT_MAX_PARALLELISM,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Scopes every state handle to `key` until the next call.
   * @throws RangeError when the key belongs to a key group outside this backend's range.
   */
  setCurrentKey(key: StateKey): void {
    const g = keyGroupOf(key, this.maxParallelism);
    if (g < this.range.first || g > this.range.last)
      throw new WrtError(
        'WRT_INVALID_ARGUMENT',
        `key ${String(key)} is in key group ${g}, outside this subtask's range [${this.range.first}, ${this.range.last}]`,
      );
    this.key = key;
    this.group = g;
  }

  value<T>(name: string, o: StateOptions = {}): ValueState<T> {
    const t = this.table(name, 'value', o);
    return {
      value: () => {
        const e = this.entry(t) as Stamped<T> | undefined;
        if (e && this.expired(e)) this.drop(t);
        else return e?.v;
        return undefined;
      },
      update: (v) => this.put(t, this.stamp(t, v)),
      clear: () => this.drop(t),
    };
  }

  list<T>(name: string, o: StateOptions = {}): ListState<T> {
    const t = this.table(name, 'list', o);
    const live = (): Stamped<T>[] => {
      const all = (this.entry(t) as Stamped<T>[] | undefined) ?? [];
      // Without a TTL nothing expires: no scan (it made each add O(list length)).
      if (t.ttlMs === undefined) return all;
      const now = this.now();
      if (!all.some((e) => expiredAt(e, now))) return all;
      const kept = all.filter((e) => !expiredAt(e, now));
      if (kept.length) this.put(t, kept);
      else this.drop(t);
      return kept;
    };
    return {
      get: () => live().map((e) => e.v),
      add: (v) => {
        const list = live();
        list.push(this.stamp(t, v));
        if (list.length === 1) this.put(t, list);
      },
      update: (values) =>
        values.length
          ? this.put(
              t,
              values.map((v) => this.stamp(t, v)),
            )
          : this.drop(t),
      clear: () => this.drop(t),
    };
  }

  map<V>(name: string, o: StateOptions = {}): MapState<V> {
    const t = this.table(name, 'map', o);
    const live = (): Record<string, Stamped<V>> => {
      const m = (this.entry(t) as Record<string, Stamped<V>> | undefined) ?? {};
      if (t.ttlMs === undefined) return m;
      const now = this.now();
      let dropped = false;
      for (const [k, e] of Object.entries(m))
        if (expiredAt(e, now)) {
          delete m[k];
          dropped = true;
        }
      if (dropped && Object.keys(m).length === 0) this.drop(t);
      return m;
    };
    const write = (m: Record<string, Stamped<V>>): void => (Object.keys(m).length ? this.put(t, m) : this.drop(t));
    return {
      get: (k) => {
        const m = live();
        return Object.hasOwn(m, k) ? m[k]!.v : undefined;
      },
      put: (k, v) => {
        const m = live();
        m[k] = this.stamp(t, v);
        write(m);
      },
      remove: (k) => {
        const m = live();
        delete m[k];
        write(m);
      },
      contains: (k) => Object.hasOwn(live(), k),
      entries: () => Object.entries(live()).map(([k, e]) => [k, e.v]),
      clear: () => this.drop(t),
    };
  }

  /** Keys with live state in `name` (any key group of this backend). */
  keys(name: string): StateKey[] {
    const t = this.tables.get(name);
    return t ? [...t.groups.values()].flatMap((m) => [...m.keys()]) : [];
  }

  /** A snapshot of every live entry, by key group, as UTF-8 JSON bytes. */
  snapshot(): Uint8Array {
    const states: Record<string, { kind: Kind; ttlMs?: number; groups: Record<number, [StateKey, Entry][]> }> = {};
    for (const [name, t] of this.tables) {
      const groups: Record<number, [StateKey, Entry][]> = {};
      for (const [g, m] of t.groups) {
        const rows: [StateKey, Entry][] = [];
        for (const [k, e] of m) {
          const live = this.liveEntry(t.kind, e, t.ttlMs);
          if (live !== null) rows.push([k, live]);
        }
        if (rows.length) groups[g] = rows;
      }
      states[name] = { kind: t.kind, ttlMs: t.ttlMs, groups };
    }
    return new TextEncoder().encode(JSON.stringify({ v: 1, maxParallelism: this.maxParallelism, states }));
  }

  /**
   * Takes the entries of this backend's key groups from snapshots (of any parallelism).
   * @throws Error when a snapshot is not a version-1 keyed-state snapshot of the same maxParallelism.
   */
  restore(snapshots: Uint8Array[]): void {
    for (const bytes of snapshots) {
      const s = JSON.parse(new TextDecoder().decode(bytes)) as {
        v: number;
        maxParallelism: number;
        states: Record<string, { kind: Kind; ttlMs?: number; groups: Record<string, [StateKey, Entry][]> }>;
      };
      if (s.v !== 1 || s.maxParallelism !== this.maxParallelism)
        throw new WrtError(
          'WRT_BAD_CHECKPOINT',
          `keyed-state snapshot v${s.v} with maxParallelism ${s.maxParallelism} cannot restore into maxParallelism ${this.maxParallelism}`,
        );
      for (const [name, st] of Object.entries(s.states)) {
        const t = this.table(name, st.kind, { ttlMs: st.ttlMs });
        for (const [gs, rows] of Object.entries(st.groups)) {
          const g = Number(gs);
          if (g < this.range.first || g > this.range.last) continue;
          let m = t.groups.get(g);
          if (!m) t.groups.set(g, (m = new Map()));
          for (const [k, e] of rows) m.set(k, e);
        }
      }
    }
  }

  private table(name: string, kind: Kind, o: StateOptions): Table {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = { kind, ttlMs: o.ttlMs, groups: new Map() }));
    else if (t.kind !== kind) throw new WrtError('WRT_INVALID_ARGUMENT', `state "${name}" is ${t.kind} state, not ${kind} state`);
    if (o.ttlMs !== undefined && !(o.ttlMs > 0))
      throw new WrtError('WRT_INVALID_ARGUMENT', `state "${name}": ttlMs must be > 0, got ${o.ttlMs}`);
    return t;
  }

  private current(): StateKey {
    if (this.key === null) throw new WrtError('WRT_INVALID_ARGUMENT', 'keyed state used before setCurrentKey');
    return this.key;
  }

  private entry(t: Table): Entry | undefined {
    return t.groups.get(this.group)?.get(this.current());
  }

  private put(t: Table, e: Entry): void {
    let m = t.groups.get(this.group);
    if (!m) t.groups.set(this.group, (m = new Map()));
    m.set(this.current(), e);
  }

  private drop(t: Table): void {
    const m = t.groups.get(this.group);
    m?.delete(this.current());
    if (m && m.size === 0) t.groups.delete(this.group);
  }

  private stamp<T>(t: Table, v: T): Stamped<T> {
    return t.ttlMs === undefined ? { v } : { v, e: this.now() + t.ttlMs };
  }

  private expired(e: Stamped<unknown>): boolean {
    return expiredAt(e, this.now());
  }

  private liveEntry(kind: Kind, e: Entry, ttlMs: number | undefined): Entry | null {
    if (ttlMs === undefined) return e;
    if (kind === 'value') return this.expired(e as Stamped<unknown>) ? null : e;
    if (kind === 'list') {
      const kept = (e as Stamped<unknown>[]).filter((x) => !this.expired(x));
      return kept.length ? kept : null;
    }
    const kept = Object.entries(e as Record<string, Stamped<unknown>>).filter(([, x]) => !this.expired(x));
    return kept.length ? Object.fromEntries(kept) : null;
  }
}
