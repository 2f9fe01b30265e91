// Unsaved edits kept in the browser (IndexedDB), per user and sample, so a reload, a crashed tab or a gateway outage
// loses nothing: written on every change, removed once the server has the edits, offered back on return.
import type { Shape } from "../api";

export interface Draft {
  key: string;
  shapes: Shape[];
  /** The revision (and its shapes) the edits started from: the base of a merge when the server moved on. */
  baseRevision: number;
  baseShapes: Shape[];
  savedAt: number;
}

const DB = "labelstream", STORE = "drafts";

export const draftKey = (user: string, datasetId: string, sampleId: string): string => `${user}/${datasetId}/${sampleId}`;

export class DraftStore {
  private constructor(private db: IDBDatabase) {}

  /** The store, or null where the browser has no IndexedDB (private modes): then edits live in memory only. */
  static open(): Promise<DraftStore | null> {
    return new Promise((resolve) => {
      if (typeof indexedDB === "undefined") { resolve(null); return; }
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = () => resolve(new DraftStore(req.result));
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    });
  }

  get(key: string): Promise<Draft | undefined> {
    return this.run("readonly", (s) => s.get(key)) as Promise<Draft | undefined>;
  }

  async put(draft: Draft): Promise<void> { await this.run("readwrite", (s) => s.put(draft)); }

  async delete(key: string): Promise<void> { await this.run("readwrite", (s) => s.delete(key)); }

  private run(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
}
