// The save pipeline of one sample: at most one save in flight; edits made meanwhile are sent next, with the revision
// the previous save returned; actions that change the model (a label being created, ...) finish before a save reads
// it. A stale write (409) is merged by shape id with what the server holds; an unreachable server is retried with
// backoff (the draft in IndexedDB keeps the edits meanwhile). The state always tells the truth.
import { ApiError, type Annotation, type Shape } from "../api";
import { describeError, isUnreachable } from "../errors";
import { merge, type MergeResult } from "./merge";
import { type AnnotationModel, sameShapes, toWire } from "./model";

export type SaveState =
  | { kind: "saved"; revision: number }
  | { kind: "dirty" }
  | { kind: "saving" }
  | { kind: "offline"; retryInMs: number }
  | { kind: "failed"; message: string };

/** How the pipeline talks to the server (the real one sends HTTP; tests pass a fake). */
export interface AnnotationStore {
  get(): Promise<Annotation>;
  put(shapes: Shape[], basedOn: number): Promise<Annotation>;
}

export interface SaveHooks {
  stateChanged(state: SaveState): void;
  /** The server holds `annotation` now (after a save or a merge). */
  saved(annotation: Annotation): void;
  /** 422: the server refused the shapes; `e.body.details` names them. */
  invalid(e: ApiError): void;
  /** Someone else saved meanwhile and both sides changed the same shapes: keep mine on top, take theirs, or stop. */
  conflict(result: MergeResult, theirs: Annotation): Promise<"mine" | "theirs" | "cancel">;
  /** Someone else saved meanwhile; their changes and mine touched different shapes and were combined. */
  merged(result: MergeResult, theirs: Annotation): void;
}

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];

export class SavePipeline {
  /** What the server held when we last heard: the revision my edits are based on, and its shapes. */
  base: { revision: number; shapes: Shape[] };
  state: SaveState;
  private pending = new Set<Promise<unknown>>();
  private running: Promise<boolean> | null = null;
  private again = false;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private checkedVersion = -1;
  private dirtyCache = false;

  constructor(private model: AnnotationModel, private store: AnnotationStore, private hooks: SaveHooks, base: Annotation,
    private retryMs: readonly number[] = RETRY_MS) {
    this.base = { revision: base.revision, shapes: base.shapes };
    this.state = { kind: "saved", revision: base.revision };
    model.onChange(() => this.modelChanged());
  }

  /** Whether the model holds edits the server does not have. */
  get dirty(): boolean {
    if (this.checkedVersion !== this.model.version) {
      this.checkedVersion = this.model.version;
      this.dirtyCache = !sameShapes(this.model.all(), this.base.shapes);
    }
    return this.dirtyCache;
  }

  get busy(): boolean { return this.running !== null || this.pending.size > 0; }

  /** An action that will change the model (e.g. a label being created before its shape is added): saves wait for it. */
  track<T>(action: Promise<T>): Promise<T> {
    this.pending.add(action);
    const done = () => { this.pending.delete(action); };
    action.then(done, done);
    return action;
  }

  /** Save now (or right after the save in flight); resolves true once the server holds every edit made so far. */
  save(): Promise<boolean> {
    this.again = true;
    clearTimeout(this.retryTimer);
    if (!this.running) this.running = this.loop().finally(() => { this.running = null; });
    return this.running;
  }

  /** Run a write of its own (hard example, a label renamed) when no save is in flight; saves wait for it. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running;
    return this.track(work());
  }

  /** A write made outside the pipeline (hard example) answered with the new annotation: build on it. */
  adopt(annotation: Annotation): void {
    this.base = { revision: annotation.revision, shapes: annotation.shapes };
    this.checkedVersion = -1;
    this.hooks.saved(annotation);
    this.setState(this.dirty ? { kind: "dirty" } : { kind: "saved", revision: annotation.revision });
  }

  /** Start over from what the server holds (after "take theirs" or a reload). */
  reset(annotation: Annotation): void {
    this.base = { revision: annotation.revision, shapes: annotation.shapes };
    this.model.load(annotation.shapes);
    this.hooks.saved(annotation);
    this.setState({ kind: "saved", revision: annotation.revision });
  }

  private async loop(): Promise<boolean> {
    let ok = true;
    while (this.again) {
      this.again = false;
      while (this.pending.size) await Promise.allSettled([...this.pending]);
      if (!this.dirty) { this.setState({ kind: "saved", revision: this.base.revision }); ok = true; continue; }
      ok = await this.once();
      if (!ok) break;
    }
    return ok;
  }

  private async once(): Promise<boolean> {
    const sent = this.model.all().map(toWire);
    this.setState({ kind: "saving" });
    try {
      const annotation = await this.store.put(sent, this.base.revision);
      this.retries = 0;
      this.base = { revision: annotation.revision, shapes: annotation.shapes };
      this.checkedVersion = -1;
      this.hooks.saved(annotation);
      this.setState(this.dirty ? { kind: "dirty" } : { kind: "saved", revision: annotation.revision });
      return true;
    } catch (e) {
      if (isUnreachable(e)) return this.retryLater();
      this.retries = 0;
      if (e instanceof ApiError && e.status === 409) return this.mergeWithTheirs();
      if (e instanceof ApiError && e.status === 422) {
        this.hooks.invalid(e);
        this.setState({ kind: "failed", message: "Not saved: some shapes are not valid (marked in red)." });
      } else this.setState({ kind: "failed", message: describeError(e, "Not saved") });
      return false;
    }
  }

  private retryLater(): boolean {
    const delay = this.retryMs[Math.min(this.retries, this.retryMs.length - 1)];
    this.retries++;
    this.setState({ kind: "offline", retryInMs: delay });
    this.retryTimer = setTimeout(() => void this.save(), delay);
    return false;
  }

  private async mergeWithTheirs(): Promise<boolean> {
    let theirs: Annotation;
    try { theirs = await this.store.get(); }
    catch (e) { return isUnreachable(e) ? this.retryLater() : (this.setState({ kind: "failed", message: describeError(e, "Not saved") }), false); }
    let result = merge(this.base.shapes, this.model.all(), theirs.shapes);
    if (result.conflicts.length) {
      const choice = await this.hooks.conflict(result, theirs);
      if (choice === "cancel") { this.setState({ kind: "failed", message: "Not saved: someone else changed the same shapes; save again to choose how to merge." }); return false; }
      if (choice === "theirs") { this.reset(theirs); return true; }
      result = merge(this.base.shapes, this.model.all(), theirs.shapes, "mine");
    } else this.hooks.merged(result, theirs);
    this.base = { revision: theirs.revision, shapes: theirs.shapes };
    this.checkedVersion = -1;
    this.model.apply(result.shapes);
    this.again = true; // send the merged shapes on top of their revision
    return true;
  }

  private modelChanged(): void {
    if (this.state.kind === "saving" || this.state.kind === "offline") return; // the save in flight reports next
    this.setState(this.dirty ? { kind: "dirty" } : { kind: "saved", revision: this.base.revision });
  }

  private setState(state: SaveState): void {
    this.state = state;
    this.hooks.stateChanged(state);
  }
}
