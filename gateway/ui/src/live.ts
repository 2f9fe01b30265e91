// Live updates from the gateway (server-sent events, authenticated by the session cookie).
export interface LiveEvent { type: string; dataset_id?: string; sample_id?: string; sample_ids?: string[]; revision?: number; labeled_by?: string; count?: number; status?: string }

let source: EventSource | null = null;

/** Follow a dataset's events (one stream at a time). `owner`: the page's element; a page that is no longer on screen
 * (another was asked for while it loaded) opens nothing, so it cannot take the stream from the page that is. */
export function openLive(datasetId: string, onEvent: (e: LiveEvent) => void, owner?: Element): void {
  if (owner && !owner.isConnected) return;
  closeLive();
  source = new EventSource(`/api/events?dataset_id=${encodeURIComponent(datasetId)}`);
  const handler = (m: MessageEvent) => { try { onEvent(JSON.parse(m.data)); } catch { /* ignore */ } };
  for (const type of ["DataAdded", "SourceChanged", "SampleDeleted", "SourceDeleted", "MediaProcessed", "LabelChanged", "AnnotationsImported", "VersionPublished", "DatasetUpdated"]) {
    source.addEventListener(type, handler as EventListener);
  }
}

export function closeLive(): void { source?.close(); source = null; }

/** Calls `fn` at most once per `ms`, trailing. */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => { clearTimeout(timer); timer = window.setTimeout(fn, ms); };
}
