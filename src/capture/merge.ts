/**
 * The heartbeat rule of ActivityWatch (aw-core `heartbeat_merge`, aw-server-rust
 * `aw_transform::heartbeat`), as a pure function so the ingest path and its test use
 * the same code. A heartbeat extends the bucket's last event when its data is equal
 * and it starts no earlier than that event and no later than the event's end plus
 * `pulsetime` seconds; the merged event keeps the last event's id and start, and
 * ends at the later of the two ends (so a duplicate or a shorter heartbeat never
 * shortens it). Anything else — other data, a heartbeat older than the last event
 * (out of order) or one after the pulse window — becomes a new event, and is then
 * the bucket's last event (upstream caches the last written heartbeat, not the
 * latest by time).
 */

/** An event as ActivityWatch shapes it; times are epoch milliseconds here. */
export interface CaptureEvent {
  /** Set once stored. */
  id?: number;
  /** Start, epoch ms. */
  start: number;
  /** Seconds (ActivityWatch sends fractions). */
  duration: number;
  data: Record<string, unknown>;
}

/** Canonical JSON (keys sorted at every level): equal data gives equal text. */
export function canonicalData(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalData).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalData(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The merged event when `heartbeat` extends `last`, or undefined when it must be
 * stored as a new event. `lastData` may be passed pre-canonicalised (a cache).
 */
export function mergeHeartbeat(last: CaptureEvent, heartbeat: CaptureEvent, pulsetime: number, lastData = canonicalData(last.data)): CaptureEvent | undefined {
  if (lastData !== canonicalData(heartbeat.data)) return undefined;
  const lastEnd = last.start + last.duration * 1000;
  if (heartbeat.start < last.start || heartbeat.start > lastEnd + pulsetime * 1000) return undefined;
  const end = Math.max(lastEnd, heartbeat.start + heartbeat.duration * 1000);
  return { id: last.id, start: last.start, duration: (end - last.start) / 1000, data: last.data };
}
