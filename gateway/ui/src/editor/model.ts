// The annotation of one sample in the browser: the single source of truth the canvas, the panels, the timeline and
// the save pipeline read. Every shape of a video carries its own time point (time_point_s + frame_index) from the
// moment it is drawn; a view of one frame is computed, never copied, so changing frames, playing and pausing can
// neither move, copy nor drop a shape. Pure: no DOM, no network.
import type { Shape } from "../api";

export interface TimePointView { frame: number; time_point_s: number; shapes: Shape[] }

const HISTORY = 200;

export class AnnotationModel {
  private shapes: Shape[] = [];
  private undoStack: Shape[][] = [];
  private redoStack: Shape[][] = [];
  private listeners = new Set<() => void>();
  /** Increases with every change of the shapes: the save pipeline knows what it has sent. */
  version = 0;
  /** Problems the server found, by shape id, as sentences (shown on the shape, at whatever time point). */
  readonly errors = new Map<string, string>();

  /** `fps` is the video's frame rate; null for an image (no time points). */
  constructor(readonly fps: number | null = null) {}

  get isVideo(): boolean { return this.fps !== null; }
  all(): readonly Shape[] { return this.shapes; }
  get size(): number { return this.shapes.length; }
  get canUndo(): boolean { return this.undoStack.length > 0; }
  get canRedo(): boolean { return this.redoStack.length > 0; }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The frame a shape belongs to (null on an image). */
  frameOf(s: Shape): number | null {
    if (this.fps === null) return null;
    if (s.frame_index !== null && s.frame_index !== undefined) return s.frame_index;
    return Math.round((s.time_point_s ?? 0) * this.fps);
  }

  /** The time point a shape drawn on `frame` gets. */
  stampFor(frame: number): { time_point_s: number; frame_index: number } {
    return { time_point_s: Number((frame / (this.fps || 1)).toFixed(6)), frame_index: frame };
  }

  /** The shapes shown on `frame` (all of them on an image). */
  at(frame: number | null): Shape[] {
    if (this.fps === null || frame === null) return this.shapes.slice();
    return this.shapes.filter((s) => this.frameOf(s) === frame);
  }

  find(shapeId: string): Shape | undefined { return this.shapes.find((s) => s.shape_id === shapeId); }

  /** Replace everything without history (loading what the server holds, restoring a draft). */
  load(shapes: readonly Shape[]): void {
    this.shapes = shapes.map(copy);
    this.undoStack = [];
    this.redoStack = [];
    this.errors.clear();
    this.changed();
  }

  /** Replace everything as one undoable change (a merge, "delete all"). */
  apply(next: readonly Shape[]): void { this.commit(next.map(copy)); }

  add(shape: Shape): void {
    if (this.find(shape.shape_id)) throw new Error(`shape ${shape.shape_id} exists already`);
    this.commit([...this.shapes, copy(shape)]);
  }

  replace(shapeId: string, shape: Shape): void {
    if (!this.find(shapeId)) return;
    this.commit(this.shapes.map((s) => (s.shape_id === shapeId ? copy({ ...shape, shape_id: shapeId }) : s)));
  }

  remove(unwanted: (s: Shape) => boolean): number {
    const next = this.shapes.filter((s) => !unwanted(s));
    const removed = this.shapes.length - next.length;
    if (removed) this.commit(next);
    return removed;
  }

  undo(): boolean {
    const prev = this.undoStack.pop();
    if (!prev) return false;
    this.redoStack.push(this.shapes);
    this.shapes = prev;
    this.changed();
    return true;
  }

  redo(): boolean {
    const next = this.redoStack.pop();
    if (!next) return false;
    this.undoStack.push(this.shapes);
    this.shapes = next;
    this.changed();
    return true;
  }

  /** The labeled time points, in frame order (empty on an image). */
  timePoints(): TimePointView[] {
    if (this.fps === null) return [];
    const byFrame = new Map<number, Shape[]>();
    for (const s of this.shapes) {
      const n = this.frameOf(s)!;
      const list = byFrame.get(n);
      if (list) list.push(s); else byFrame.set(n, [s]);
    }
    return [...byFrame.keys()].sort((a, b) => a - b).map((frame) => {
      const shapes = byFrame.get(frame)!;
      return { frame, time_point_s: shapes[0].time_point_s ?? frame / this.fps!, shapes };
    });
  }

  /** Shapes per label name, in first-seen order. */
  labelCounts(shapes: readonly Shape[] = this.shapes): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of shapes) counts.set(s.label, (counts.get(s.label) || 0) + 1);
    return counts;
  }

  /** Rename a label on every shape (the label set changed on the server). Not undoable: it is not an edit here. */
  renameLabel(from: string, to: string): void {
    const rename = (list: Shape[]) => list.map((s) => (s.label === from ? { ...s, label: to } : s));
    this.shapes = rename(this.shapes);
    this.undoStack = this.undoStack.map(rename);
    this.redoStack = this.redoStack.map(rename);
    this.changed();
  }

  private commit(next: Shape[]): void {
    this.undoStack.push(this.shapes);
    if (this.undoStack.length > HISTORY) this.undoStack.shift();
    this.redoStack = [];
    this.shapes = next;
    this.errors.clear();
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}

/** A deep copy, so nobody outside can change a shape in place. */
export function copy(s: Shape): Shape {
  return { ...s, points: s.points.map((p) => [p[0], p[1]] as [number, number]) };
}

/** The shape as the API takes it (every optional field explicit). */
export function toWire(s: Shape): Shape {
  return {
    shape_id: s.shape_id, kind: s.kind, label: s.label, points: s.points, rotation: s.rotation ?? null,
    time_point_s: s.time_point_s ?? null, frame_index: s.frame_index ?? null, object_id: s.object_id ?? null,
  };
}

/** Whether two lists hold the same shapes (by id and content, order ignored). */
export function sameShapes(a: readonly Shape[], b: readonly Shape[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((s) => [s.shape_id, s]));
  return a.every((s) => { const o = byId.get(s.shape_id); return !!o && sameShape(s, o); });
}

export function sameShape(a: Shape, b: Shape): boolean {
  return JSON.stringify(toWire(a)) === JSON.stringify(toWire(b));
}
