// Read-your-writes without polling. A page shows what one service serves; events of other services reach that service
// a moment later (its projection), and it announces what it applied (SamplesProjected on the live stream). Pages wait
// for that announcement instead of looking again on a timer. Pure (no DOM, no EventSource): unit-tested.
import type { LiveEvent } from "./live";

/** The services whose reads the pages show. */
export type Service = "dataset-svc" | "labeling-svc" | "sync-svc";

/** Events a service emits in the transaction of their effect: when one arrives, the service already shows it. */
const OWN_EVENTS: Record<Service, readonly string[]> = {
  "dataset-svc": ["DatasetUpdated", "SampleDeleted", "VersionPublished"],
  "labeling-svc": ["LabelChanged", "LabelSetChanged"],
  "sync-svc": [],
};

/** The synthetic event the live stream delivers after it reconnected: announcements may have been missed. */
export const RECONNECTED = "Reconnected";

/** Whether what `service` serves of the dataset may have changed with this event: its own events, its announcement
 * that it applied another service's, or a reconnected stream. Another service's event does not count yet: the page
 * hears from `service` once it has applied it. */
export function changes(service: Service, e: LiveEvent): boolean {
  if (e.type === RECONNECTED) return true;
  if (e.type === "SamplesProjected") return e.service === service;
  return OWN_EVENTS[service].includes(e.type);
}

/** Whether the event may mean that `service` knows the sample now: its announcement naming the sample (or one too
 * big to name its samples), or a reconnected stream. */
export function mayKnow(service: Service, sampleId: string, e: LiveEvent): boolean {
  if (e.type === RECONNECTED) return true;
  if (e.type !== "SamplesProjected" || e.service !== service) return false;
  return e.truncated === true || (e.samples || []).some((s) => s.sample_id === sampleId);
}

/** Whether the event may mean that `service` knows the dataset now (it announced it learnt of it, or the stream
 * reconnected). */
export function knowsDataset(service: Service, e: LiveEvent): boolean {
  return e.type === RECONNECTED || (e.type === "DatasetProjected" && e.service === service);
}

/** Raised when what was waited for did not come in time. */
export class NotArrivedError extends Error {}

export interface Arrival<T> {
  /** Read it; rejects with an error `missing` recognises while the service does not know it yet. */
  load: () => Promise<T>;
  missing: (e: unknown) => boolean;
  /** Start hearing live events; returns the function that stops. */
  listen: (listener: (e: LiveEvent) => void) => () => void;
  /** Whether an event may mean it is there now (read once more). */
  mayBeThere: (e: LiveEvent) => boolean;
  /** How long to wait in all (one timer for the whole wait). */
  timeoutMs: number;
  /** Called once, when the first read found nothing: say that the page waits. */
  waiting?: () => void;
  timer?: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void };
}

const realTimer = { set: (fn: () => void, ms: number): unknown => setTimeout(fn, ms), clear: (h: unknown) => clearTimeout(h as number) };

/** Read something a projecting service may not know yet. Listens before the first read (an announcement may come
 * before the read's answer); each read after the first is caused by an announcement, never by a timer; after
 * `timeoutMs` without it, rejects with NotArrivedError. */
export function whenArrived<T>(o: Arrival<T>): Promise<T> {
  const timer = o.timer || realTimer;
  return new Promise<T>((resolve, reject) => {
    let heard = false, reading = false, told = false, done = false;
    const finish = (f: () => void) => { if (done) return; done = true; stop(); timer.clear(deadline); f(); };
    const read = () => {
      heard = false; reading = true;
      o.load().then((v) => finish(() => resolve(v)), (e) => {
        reading = false;
        if (!o.missing(e)) return finish(() => reject(e));
        if (!told) { told = true; o.waiting?.(); }
        if (heard) read(); // announced while this read was under way: its answer may predate it
      });
    };
    const stop = o.listen((e) => {
      if (done || !o.mayBeThere(e)) return;
      heard = true;
      if (!reading) read();
    });
    const deadline = timer.set(() => finish(() => reject(new NotArrivedError(`it did not arrive within ${Math.round(o.timeoutMs / 1000)} s`))), o.timeoutMs);
    read();
  });
}

/** One live stream, several listeners (a page's parts each follow what concerns them). */
export class LiveFanout {
  private listeners = new Set<(e: LiveEvent) => void>();
  readonly emit = (e: LiveEvent): void => { for (const l of [...this.listeners]) l(e); };
  readonly listen = (listener: (e: LiveEvent) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
