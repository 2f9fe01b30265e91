// The drawing surface: one canvas, redrawn on requestAnimationFrame, shapes culled with a spatial index and
// batched by colour. Tools: polygon (click points, click the first to close), rectangle, circle, polyline
// (double-click or Enter ends), point, rotated rectangle, and "drag" (move a shape or a vertex, pan).
// The canvas is a view of the annotation model: it shows the shapes of one scope (the image, or the video frame
// whose picture is shown) and sends every edit to the model; it keeps no shapes of its own.
import type { Shape, ShapeKind } from "../api";
import { Pt, SpatialIndex, bounds, hits, outline, translate, vertexAt } from "./geometry";
import type { AnnotationModel } from "./model";

export type Tool = ShapeKind | "drag";
type Gesture =
  | { kind: "pan"; sx: number; sy: number; ox: number; oy: number }
  | { kind: "move"; index: number; start: Pt; before: Shape }
  | { kind: "vertex"; index: number; vertex: number; before: Shape }
  | { kind: "box"; start: Pt; end: Pt };

export interface EditorHooks {
  /** A shape was drawn (stamped with the time point of the picture shown): label it and add it to the model. */
  create: (shape: Shape) => Promise<void>;
  colorOf: (label: string) => string;
  /** The selection changed (the panels highlight it). */
  selected: () => void;
}

const ZOOM_SETTLE_MS = 250; // the shapes layer is redrawn at the new scale once the wheel has rested this long
const LAYER_MARGIN = 16; // device pixels around the image in the shapes layer (strokes, points on the edge)
let idCounter = 0;
const newId = () => `s${Date.now().toString(36)}${(idCounter++).toString(36)}`;

export class CanvasEditor {
  readonly canvas = document.createElement("canvas");
  private ctx = this.canvas.getContext("2d")!;
  /** The shapes of the scope shown, as the model holds them (a view; refreshed on every model change). */
  shapes: Shape[] = [];
  /** The shapes as the server last had them, for "reset shape". */
  originals = new Map<string, Shape>();
  selected = -1;
  /** The frame whose picture is shown (null: an image); new shapes get its time point. */
  scope: number | null = null;
  readOnly = false;
  visible = true;
  tool: Tool = "polygon";
  scale = 1;
  ox = 0;
  oy = 0;
  width = 1;
  height = 1;
  private picture: CanvasImageSource | null = null;
  private index = new SpatialIndex();
  private draft: Pt[] = [];
  private hover: Pt | null = null;
  private gesture: Gesture | null = null;
  private frameRequested = false;
  private layer = document.createElement("canvas");
  private layerKey = "";
  private lastZoom = 0;
  private spaceDown = false;
  /** Milliseconds each redraw took (the UI's frame cost), for the performance test. */
  readonly frameTimes: number[] = [];

  constructor(readonly model: AnnotationModel, private hooks: EditorHooks) {
    model.onChange(() => this.sync());
    this.canvas.className = "surface";
    this.canvas.tabIndex = 0;
    this.canvas.addEventListener("mousedown", (e) => this.down(e));
    window.addEventListener("mousemove", this.onMove);
    window.addEventListener("mouseup", this.onUp);
    this.canvas.addEventListener("dblclick", () => this.finishPolyline());
    this.canvas.addEventListener("wheel", (e) => { e.preventDefault(); this.zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.offsetX, e.offsetY); }, { passive: false });
    this.canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    window.addEventListener("keydown", this.onKey);
    window.addEventListener("keyup", this.onKeyUp);
  }

  /** Show the shapes of `scope` (a frame index, or null for an image). */
  setScope(scope: number | null): void { this.scope = scope; this.draft = []; this.selected = -1; this.sync(); }

  /** Problems the server found in the shapes shown, by their index here. */
  get errors(): Map<number, string> {
    const found = new Map<number, string>();
    this.shapes.forEach((s, i) => { const e = this.model.errors.get(s.shape_id); if (e) found.set(i, e); });
    return found;
  }

  private sync(): void {
    const selectedId = this.shapes[this.selected]?.shape_id;
    this.shapes = this.model.at(this.scope);
    this.selected = selectedId ? this.shapes.findIndex((s) => s.shape_id === selectedId) : -1;
    this.reindex();
  }

  destroy(): void {
    window.removeEventListener("mousemove", this.onMove);
    window.removeEventListener("mouseup", this.onUp);
    window.removeEventListener("keydown", this.onKey);
    window.removeEventListener("keyup", this.onKeyUp);
  }

  setPicture(picture: CanvasImageSource, width: number, height: number): void {
    this.picture = picture;
    this.width = width;
    this.height = height;
    this.fit();
  }

  /** A new picture of the same size (the next video frame): the view stays. */
  replacePicture(picture: CanvasImageSource): void { this.picture = picture; this.request(); }

  // --- edits go to the model (which keeps the undo history of the whole sample) ----------------------------
  get canUndo(): boolean { return this.draft.length > 0 || this.model.canUndo; }
  get canRedo(): boolean { return this.model.canRedo; }
  undo(): void {
    if (this.draft.length) { this.draft.pop(); this.request(); return; }
    this.model.undo();
  }
  redo(): void { this.model.redo(); }

  replaceShape(i: number, shape: Shape): void {
    const s = this.shapes[i];
    if (s && !this.readOnly) this.model.replace(s.shape_id, shape);
  }
  /** Remove the shapes of this scope that match. */
  removeShapes(unwanted: (s: Shape, i: number) => boolean): void {
    if (this.readOnly) return;
    const ids = new Set(this.shapes.filter((s, i) => unwanted(s, i)).map((s) => s.shape_id));
    this.selected = -1;
    if (ids.size) this.model.remove((s) => ids.has(s.shape_id));
  }
  deleteAll(): void { if (this.shapes.length) this.removeShapes(() => true); }
  /** Put the selected shape back where it was when the image was opened. */
  resetSelected(): void {
    const s = this.shapes[this.selected];
    const original = s && this.originals.get(s.shape_id);
    if (original) this.replaceShape(this.selected, original);
  }
  select(shapeId: string | null): void {
    this.selected = shapeId ? this.shapes.findIndex((s) => s.shape_id === shapeId) : -1;
    this.request();
  }
  toggleVisible(): void { this.visible = !this.visible; this.request(); }

  private reindex(): void { this.index.rebuild(this.shapes); this.invalidate(); }

  // --- view ------------------------------------------------------------------------------------------------
  fit(): void {
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    this.scale = Math.min(w / this.width, h / this.height) * 0.95;
    this.ox = (w - this.width * this.scale) / 2;
    this.oy = (h - this.height * this.scale) / 2;
    this.request();
  }
  zoomAt(factor: number, x?: number, y?: number): void {
    const cx = x ?? this.canvas.clientWidth / 2, cy = y ?? this.canvas.clientHeight / 2;
    const next = Math.max(0.02, Math.min(64, this.scale * factor));
    this.lastZoom = performance.now();
    this.ox = cx - ((cx - this.ox) * next) / this.scale;
    this.oy = cy - ((cy - this.oy) * next) / this.scale;
    this.scale = next;
    this.request();
  }
  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.canvas.clientWidth * dpr);
    this.canvas.height = Math.round(this.canvas.clientHeight * dpr);
    this.request();
  }
  toImage(x: number, y: number): Pt { return [(x - this.ox) / this.scale, (y - this.oy) / this.scale]; }
  toScreen(p: Pt): Pt { return [p[0] * this.scale + this.ox, p[1] * this.scale + this.oy]; }

  request(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => { this.frameRequested = false; this.draw(); });
  }

  // --- drawing ---------------------------------------------------------------------------------------------
  private draw(): void {
    const started = performance.now();
    const ctx = this.ctx, dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#2b2f36";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.ox, dpr * this.oy);
    if (this.picture) ctx.drawImage(this.picture, 0, 0, this.width, this.height);
    ctx.lineWidth = 1.5 / this.scale;
    if (this.visible) {
      const g = this.gesture;
      const live = g && (g.kind === "move" || g.kind === "vertex") ? g.index : -1;
      const layerW = Math.ceil(this.width * this.scale * dpr) + 2 * LAYER_MARGIN, layerH = Math.ceil(this.height * this.scale * dpr) + 2 * LAYER_MARGIN;
      const key = `${this.scale}|${dpr}|${live}`;
      const zooming = performance.now() - this.lastZoom < ZOOM_SETTLE_MS;
      const fits = layerW <= 8192 && layerH <= 8192 && layerW * layerH <= Math.min(4 * this.canvas.width * this.canvas.height, 6e6);
      if (fits && (key === this.layerKey || !zooming)) {
        // every shape but the one being dragged, drawn once per scale into a layer; panning and dragging only blit it
        if (key !== this.layerKey) this.buildLayer(layerW, layerH, dpr, live, key);
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.drawImage(this.layer, dpr * this.ox - LAYER_MARGIN, dpr * this.oy - LAYER_MARGIN);
        ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.ox, dpr * this.oy);
      } else {
        // while the wheel turns, or zoomed far in: draw what is in view only (the layer follows once zooming stops)
        if (zooming) setTimeout(() => this.request(), ZOOM_SETTLE_MS);
        const [x0, y0] = this.toImage(0, 0), [x1, y1] = this.toImage(this.canvas.clientWidth, this.canvas.clientHeight);
        this.drawBatched(ctx, this.index.query({ x0, y0, x1, y1 }), live);
      }
      if (live >= 0) this.drawOne(this.shapes[live], true);
      else if (this.selected >= 0 && this.shapes[this.selected]) this.drawOne(this.shapes[this.selected], true);
      for (const [i] of this.errors) if (this.shapes[i]) this.drawError(this.shapes[i]);
    }
    this.drawDraft();
    this.frameTimes.push(performance.now() - started);
    if (this.frameTimes.length > 5000) this.frameTimes.splice(0, 1000);
  }

  /** Shapes by colour: one path, one fill and one stroke per colour. */
  private drawBatched(ctx: CanvasRenderingContext2D, indices: Iterable<number>, skip: number): void {
    const byColor = new Map<string, Path2D>();
    for (const i of indices) {
      if (i === skip) continue;
      const s = this.shapes[i];
      const color = this.hooks.colorOf(s.label);
      let path = byColor.get(color);
      if (!path) { path = new Path2D(); byColor.set(color, path); }
      this.trace(path, s);
    }
    ctx.lineWidth = 1.5 / this.scale;
    for (const [color, path] of byColor) {
      ctx.fillStyle = color + "40";
      ctx.fill(path);
      ctx.strokeStyle = color;
      ctx.stroke(path);
    }
  }

  private buildLayer(w: number, h: number, dpr: number, skip: number, key: string): void {
    if (this.layer.width !== w || this.layer.height !== h) { this.layer.width = w; this.layer.height = h; }
    const lctx = this.layer.getContext("2d")!;
    lctx.setTransform(1, 0, 0, 1, 0, 0);
    lctx.clearRect(0, 0, w, h);
    lctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, LAYER_MARGIN, LAYER_MARGIN);
    this.drawBatched(lctx, this.shapes.keys(), skip);
    this.layerKey = key;
  }

  /** Shapes or colours changed: the layer is drawn again on the next frame. */
  invalidate(): void { this.layerKey = ""; this.request(); }

  private trace(path: Path2D, s: Shape): void {
    if (s.kind === "circle") {
      const [c, e] = s.points;
      path.moveTo(c[0] + Math.hypot(e[0] - c[0], e[1] - c[1]), c[1]);
      path.arc(c[0], c[1], Math.hypot(e[0] - c[0], e[1] - c[1]), 0, Math.PI * 2);
      return;
    }
    if (s.kind === "point") {
      const r = 4 / this.scale;
      path.moveTo(s.points[0][0] + r, s.points[0][1]);
      path.arc(s.points[0][0], s.points[0][1], r, 0, Math.PI * 2);
      return;
    }
    const pts = outline(s);
    if (!pts.length) return;
    path.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length; i++) path.lineTo(pts[i][0], pts[i][1]);
    if (s.kind !== "polyline") path.closePath();
  }

  private drawOne(s: Shape, selected: boolean): void {
    const ctx = this.ctx, color = this.hooks.colorOf(s.label), path = new Path2D();
    this.trace(path, s);
    ctx.fillStyle = color + (selected ? "70" : "40");
    if (s.kind !== "polyline") ctx.fill(path);
    ctx.strokeStyle = selected ? "#ffffff" : color;
    ctx.lineWidth = (selected ? 2.5 : 1.5) / this.scale;
    ctx.stroke(path);
    if (selected) {
      ctx.fillStyle = "#1f6feb";
      const r = 4 / this.scale;
      for (const [x, y] of s.points) ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
    }
    ctx.lineWidth = 1.5 / this.scale;
  }

  private drawError(s: Shape): void {
    const ctx = this.ctx, path = new Path2D();
    this.trace(path, s);
    ctx.setLineDash([6 / this.scale, 4 / this.scale]);
    ctx.strokeStyle = "#ff3b30";
    ctx.lineWidth = 3 / this.scale;
    ctx.stroke(path);
    ctx.setLineDash([]);
    ctx.lineWidth = 1.5 / this.scale;
  }

  private drawDraft(): void {
    const ctx = this.ctx, g = this.gesture;
    ctx.strokeStyle = "#ffd60a";
    ctx.fillStyle = "#ffd60a";
    if (g && g.kind === "box") {
      const draft = this.boxShape(g.start, g.end, "…");
      const path = new Path2D();
      this.trace(path, draft);
      ctx.stroke(path);
    }
    if (!this.draft.length) return;
    ctx.beginPath();
    ctx.moveTo(this.draft[0][0], this.draft[0][1]);
    for (const p of this.draft.slice(1)) ctx.lineTo(p[0], p[1]);
    if (this.hover) ctx.lineTo(this.hover[0], this.hover[1]);
    ctx.stroke();
    const r = 4 / this.scale;
    this.draft.forEach(([x, y], i) => ctx.fillRect(x - r * (i ? 1 : 1.6), y - r * (i ? 1 : 1.6), 2 * r * (i ? 1 : 1.6), 2 * r * (i ? 1 : 1.6)));
  }

  // --- input -----------------------------------------------------------------------------------------------
  private at(e: MouseEvent): Pt {
    const r = this.canvas.getBoundingClientRect();
    return this.toImage(e.clientX - r.left, e.clientY - r.top);
  }

  private down(e: MouseEvent): void {
    this.canvas.focus();
    const p = this.at(e), tol = 6 / this.scale;
    if (e.button === 1 || e.button === 2 || this.spaceDown) {
      this.gesture = { kind: "pan", sx: e.clientX, sy: e.clientY, ox: this.ox, oy: this.oy };
      return;
    }
    if (this.tool === "drag" || this.readOnly) {
      const sel = this.readOnly ? undefined : this.shapes[this.selected];
      const v = sel ? vertexAt(sel, p, tol * 1.5) : -1;
      if (sel && v >= 0) { this.gesture = { kind: "vertex", index: this.selected, vertex: v, before: sel }; return; }
      const hit = this.pick(p, tol);
      this.selected = hit;
      this.hooks.selected();
      this.gesture = hit >= 0 && !this.readOnly
        ? { kind: "move", index: hit, start: p, before: this.shapes[hit] }
        : { kind: "pan", sx: e.clientX, sy: e.clientY, ox: this.ox, oy: this.oy };
      this.request();
      return;
    }
    if (this.tool === "polygon" || this.tool === "polyline") {
      const first = this.draft[0];
      if (this.tool === "polygon" && first && this.draft.length >= 3 && Math.hypot(p[0] - first[0], p[1] - first[1]) <= tol * 1.6) {
        const pts = this.draft;
        this.draft = [];
        void this.finish({ shape_id: newId(), kind: "polygon", label: "", points: pts });
        return;
      }
      this.draft.push(this.clamp(p));
      this.request();
      return;
    }
    if (this.tool === "point") { void this.finish({ shape_id: newId(), kind: "point", label: "", points: [this.clamp(p)] }); return; }
    this.gesture = { kind: "box", start: this.clamp(p), end: this.clamp(p) };
  }

  private onMove = (e: MouseEvent): void => {
    const g = this.gesture;
    if (!g) {
      if (this.draft.length) { this.hover = this.at(e); this.request(); }
      return;
    }
    if (g.kind === "pan") { this.ox = g.ox + e.clientX - g.sx; this.oy = g.oy + e.clientY - g.sy; }
    else if (g.kind === "box") g.end = this.clamp(this.at(e));
    else if (g.kind === "move") {
      // the shape stays inside the image: the move is limited by its bounds
      const p = this.at(e), b = bounds(g.before);
      const dx = Math.max(-b.x0, Math.min(this.width - b.x1, p[0] - g.start[0]));
      const dy = Math.max(-b.y0, Math.min(this.height - b.y1, p[1] - g.start[1]));
      this.shapes[g.index] = translate(g.before, Math.round(dx * 10) / 10, Math.round(dy * 10) / 10);
    } else if (g.kind === "vertex") {
      const s = this.shapes[g.index];
      const points = s.points.slice();
      points[g.vertex] = this.clamp(this.at(e));
      this.shapes[g.index] = { ...s, points };
    }
    this.request();
  };

  private onUp = (): void => {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    if (g.kind === "box") {
      if (Math.abs(g.end[0] - g.start[0]) * this.scale < 4 || Math.abs(g.end[1] - g.start[1]) * this.scale < 4) { this.request(); return; }
      void this.finish(this.boxShape(g.start, g.end, ""));
    } else if (g.kind === "move" || g.kind === "vertex") {
      const moved = this.shapes[g.index];
      if (moved === g.before) return;
      this.shapes[g.index] = g.before;
      this.selected = g.index;
      this.replaceShape(g.index, moved);
    }
    this.request();
  };

  private onKeyUp = (e: KeyboardEvent): void => { if (e.key === " ") this.spaceDown = false; };
  private onKey = (e: KeyboardEvent): void => {
    if ((e.target as HTMLElement)?.closest?.("input, textarea, select, dialog")) return;
    if (e.key === " ") { this.spaceDown = true; e.preventDefault(); }
    else if (e.key === "Escape") { this.draft = []; this.selected = -1; this.hooks.selected(); this.request(); }
    else if (e.key === "Enter") this.finishPolyline();
    else if ((e.key === "Delete" || e.key === "Backspace") && this.selected >= 0) { const i = this.selected; this.removeShapes((_s, j) => j === i); }
    else if ((e.key === "[" || e.key === "]") && this.shapes[this.selected]?.kind === "rotated_rectangle") {
      const s = this.shapes[this.selected];
      this.replaceShape(this.selected, { ...s, rotation: ((s.rotation || 0) + (e.key === "]" ? 5 : -5) + 360) % 360 });
    }
  };

  private finishPolyline(): void {
    if (this.tool !== "polyline" || this.draft.length < 2) return;
    const pts = this.draft;
    this.draft = [];
    void this.finish({ shape_id: newId(), kind: "polyline", label: "", points: pts });
  }

  private boxShape(a: Pt, b: Pt, label: string): Shape {
    const x0 = Math.min(a[0], b[0]), y0 = Math.min(a[1], b[1]), x1 = Math.max(a[0], b[0]), y1 = Math.max(a[1], b[1]);
    if (this.tool === "circle") return { shape_id: newId(), kind: "circle", label, points: [a, b] };
    if (this.tool === "rotated_rectangle") return { shape_id: newId(), kind: "rotated_rectangle", label, points: [[x0, y0], [x1, y1]], rotation: 0 };
    return { shape_id: newId(), kind: "rectangle", label, points: [[x0, y0], [x1, y1]] };
  }

  private clamp(p: Pt): Pt {
    return [Math.max(0, Math.min(this.width, Math.round(p[0] * 10) / 10)), Math.max(0, Math.min(this.height, Math.round(p[1] * 10) / 10))];
  }

  private pick(p: Pt, tol: number): number {
    const near = this.index.query({ x0: p[0] - tol, y0: p[1] - tol, x1: p[0] + tol, y1: p[1] + tol });
    for (let k = near.length - 1; k >= 0; k--) if (hits(this.shapes[near[k]], p, tol)) return near[k];
    return -1;
  }

  private async finish(shape: Shape): Promise<void> {
    this.hover = null;
    this.request();
    if (this.readOnly) return;
    const stamp = this.scope === null ? {} : this.model.stampFor(this.scope);
    await this.hooks.create({ ...shape, ...stamp });
    this.select(shape.shape_id);
  }
}
