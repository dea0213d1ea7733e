/**
 * Read-your-own-writes over informer caches. An informer shows a status the operator wrote only
 * once the watch event arrives; a reconcile that runs before then (another worker, a wake from a
 * child) decides from the old status. A pipeline that has not yet seen its ModelVersion enter a
 * rollout would write the routes back to all-stable, over the canary's weight.
 *
 * Every status write is recorded here and laid over the cached object until the cache shows it.
 * The operator is the only writer of these statuses, so its last write is the truth meanwhile.
 */
import { canonicalJson } from '../controllers/status.js';

type Status = Record<string, unknown>;
type Cached = { metadata?: { namespace?: string; name?: string }; status?: object };

/** The cached object of `plural` `namespace/name`, if the informer has it. */
export type CacheLookup = (plural: string, namespace: string, name: string) => Cached | undefined;

const keyOf = (plural: string, namespace: string, name: string) => `${plural}/${namespace}/${name}`;

/** True when `status` shows every field of `written` (a null field: absent). */
function shows(status: object | undefined, written: Status): boolean {
  const current = (status ?? {}) as Status;
  return Object.entries(written).every(([field, value]) =>
    value === null
      ? current[field] === undefined
      : canonicalJson(current[field]) === canonicalJson(value),
  );
}

export class OwnWrites {
  /** Status fields written and not yet seen in the cache, by object. */
  private readonly pending = new Map<string, Status>();

  constructor(private readonly cached: CacheLookup = () => undefined) {}

  /** A status merge patch that succeeded. */
  record(plural: string, namespace: string, name: string, status: object): void {
    const key = keyOf(plural, namespace, name);
    const written = { ...this.pending.get(key), ...(status as Status) };
    // The watch event can arrive before the patch's response is handled.
    if (shows(this.cached(plural, namespace, name)?.status, written)) this.pending.delete(key);
    else this.pending.set(key, written);
  }

  /** `object` with the status fields written since the cache last caught up. */
  overlay<T extends Cached>(plural: string, object: T): T {
    const written = this.pending.get(
      keyOf(plural, object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
    );
    if (!written) return object;
    const status: Status = { ...(object.status as Status | undefined) };
    for (const [field, value] of Object.entries(written)) {
      if (value === null) delete status[field];
      else status[field] = value;
    }
    return { ...object, status };
  }

  /** An object an informer delivered: what it shows is no longer pending; a deletion forgets. */
  observe(plural: string, object: Cached, deleted = false): void {
    const key = keyOf(plural, object.metadata?.namespace ?? '', object.metadata?.name ?? '');
    const written = this.pending.get(key);
    if (written && (deleted || shows(object.status, written))) this.pending.delete(key);
  }

  /** How many objects have writes the cache does not show yet (for tests and debugging). */
  get size(): number {
    return this.pending.size;
  }
}
