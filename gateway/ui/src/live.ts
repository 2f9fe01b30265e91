// Live updates from the gateway (server-sent events, authenticated by the session cookie).
import { RECONNECTED } from "./consistency";

/** A sample a service announced it applied, with the label revision it holds (dataset-svc). */
export interface Announced { sample_id: string; revision?: number | null }
export interface LiveEvent {
  type: string; dataset_id?: string; sample_id?: string; sample_ids?: string[]; revision?: number; labeled_by?: string; count?: number; status?: string;
  /** SamplesProjected, DatasetProjected: the service that applied events; to which samples (`truncated`: too many to name). */
  service?: string; samples?: Announced[]; truncated?: boolean;
}

let source: EventSource | null = null;

/** Follow a dataset's events (one stream at a time). `owner`: the page's element; a page that is no longer on screen
 * (another was asked for while it loaded) opens nothing, so it cannot take the stream from the page that is.
 * After the browser reconnected the stream, `onEvent` gets `{ type: "Reconnected" }`: events may have been missed. */
export function openLive(datasetId: string, onEvent: (e: LiveEvent) => void, owner?: Element): void {
  if (owner && !owner.isConnected) return;
  closeLive();
  const stream = source = new EventSource(`/api/events?dataset_id=${encodeURIComponent(datasetId)}`);
  let opened = false;
  stream.addEventListener("open", () => { if (opened && source === stream) onEvent({ type: RECONNECTED, dataset_id: datasetId }); opened = true; });
  const handler = (m: MessageEvent) => { try { onEvent(JSON.parse(m.data)); } catch { /* ignore */ } };
  for (const type of ["DataAdded", "SourceChanged", "SampleDeleted", "SourceDeleted", "MediaProcessed", "LabelChanged", "AnnotationsImported", "VersionPublished", "ExportCompleted", "DatasetUpdated", "LabelSetChanged", "SamplesProjected", "DatasetProjected"]) {
    stream.addEventListener(type, handler as EventListener);
  }
}

export function closeLive(): void { source?.close(); source = null; }

/** Calls `fn` at most once per `ms`, trailing. */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => { clearTimeout(timer); timer = window.setTimeout(fn, ms); };
}
