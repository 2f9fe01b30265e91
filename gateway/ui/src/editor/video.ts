// The video stage: player with play/pause, frame stepping and a timeline with markers at the labeled time
// points. Paused, it shows the exact frame (from media-svc) in the canvas editor with that time point's shapes.
import { Sample, Shape, media } from "../api";
import { confirmDialog, h } from "../dom";
import type { CanvasEditor } from "./canvas";

export interface PanelActions {
  colorOf: (label: string) => string;
  edit: (s: Shape) => Promise<void>;
  remove: (s: Shape) => void;
  save: () => Promise<boolean>;
}

export class VideoStage {
  readonly el = h("div", { class: "video-stage" });
  private video = h("video", { preload: "auto", playsInline: true, muted: true, "data-testid": "video" });
  private frameArea = h("div", { class: "frame-area" });
  private timeline = h("div", { class: "timeline", "data-testid": "timeline" });
  private playhead = h("div", { class: "playhead" });
  private time = h("span", { class: "time mono", "data-testid": "time" });
  private playButton = h("button", { class: "tool", "data-testid": "play", title: "Play / pause (K)", onclick: () => this.toggle() }, "▶");
  private editor!: CanvasEditor;
  private others: Shape[] = [];
  readonly fps: number;
  readonly duration: number;
  frame = 0;
  private fitted = false;
  private expanded = new Set<number>();

  constructor(private datasetId: string, private sample: Sample, _editor: CanvasEditor, private changed: () => void) {
    this.fps = sample.media?.fps || 25;
    this.duration = sample.media?.duration_s || (sample.media?.frame_count ? sample.media.frame_count / this.fps : 10);
    this.video.src = media.video(datasetId, sample.id);
    this.video.addEventListener("pause", () => void this.showFrame(Math.round(this.video.currentTime * this.fps)));
    this.video.addEventListener("timeupdate", () => this.updateHead(this.video.currentTime));
    this.video.addEventListener("ended", () => this.setPlaying(false));
    this.timeline.append(this.playhead);
    this.timeline.addEventListener("click", (e) => {
      const r = this.timeline.getBoundingClientRect();
      void this.seek(((e.clientX - r.left) / r.width) * this.duration);
    });
    this.el.append(this.frameArea, h("div", { class: "controls" },
      this.playButton,
      h("button", { class: "tool", "data-testid": "frame-back", title: "Previous frame (←)", onclick: () => void this.step(-1) }, "|◀"),
      h("button", { class: "tool", "data-testid": "frame-forward", title: "Next frame (→)", onclick: () => void this.step(1) }, "▶|"),
      this.time, this.timeline));
  }

  mount(editor: CanvasEditor): void {
    this.editor = editor;
    this.frameArea.append(this.video, editor.canvas);
    this.video.hidden = true;
  }

  destroy(): void { this.video.pause(); this.video.removeAttribute("src"); this.video.load(); }

  load(shapes: Shape[]): void {
    this.others = shapes.slice();
    this.editor?.load([]);
    void this.showFrame(this.frame, true);
  }

  /** Every shape of the video: the other time points' and the current one's (stamped with its time point). */
  allShapes(): Shape[] { return [...this.others.filter((s) => !this.atFrame(s, this.frame)), ...this.stamped()]; }

  private stamped(): Shape[] {
    const t = Number((this.frame / this.fps).toFixed(6));
    return this.editor.shapes.map((s) => (s.time_point_s === undefined || s.time_point_s === null ? { ...s, time_point_s: t, frame_index: this.frame } : s));
  }

  private atFrame(s: Shape, n: number): boolean {
    if (s.frame_index !== null && s.frame_index !== undefined) return s.frame_index === n;
    return Math.round((s.time_point_s || 0) * this.fps) === n;
  }

  private setPlaying(playing: boolean): void {
    this.video.hidden = !playing;
    this.editor.canvas.hidden = playing;
    this.playButton.textContent = playing ? "⏸" : "▶";
    this.playButton.setAttribute("aria-pressed", String(playing));
  }

  toggle(): void {
    if (this.video.paused) {
      this.others = this.allShapes();
      this.editor.load([]);
      this.video.currentTime = this.frame / this.fps;
      this.setPlaying(true);
      this.video.play().catch(() => this.setPlaying(false));
    } else this.video.pause();
  }

  async step(delta: number): Promise<void> {
    if (!this.video.paused) this.video.pause();
    await this.showFrame(Math.max(0, Math.min(this.lastFrame(), this.frame + delta)));
  }

  async seek(t: number): Promise<void> {
    if (!this.video.paused) { this.video.currentTime = t; return; }
    await this.showFrame(Math.round(t * this.fps));
  }

  private lastFrame(): number { return Math.max(0, (this.sample.media?.frame_count || Math.round(this.duration * this.fps)) - 1); }

  /** Paused at frame `n`: the exact frame as the picture, that time point's shapes in the editor. */
  async showFrame(n: number, initial = false): Promise<void> {
    n = Math.max(0, Math.min(this.lastFrame(), n));
    if (!initial) this.others = this.allShapes();
    this.frame = n;
    this.setPlaying(false);
    this.updateHead(n / this.fps);
    const img = new Image();
    img.src = `${media.frame(this.datasetId, this.sample.id, 0).split("?")[0]}?n=${n}`;
    await img.decode().catch(() => undefined);
    if (this.frame !== n) return;
    const w = img.naturalWidth || this.sample.media?.width || 640, hgt = img.naturalHeight || this.sample.media?.height || 360;
    if (!this.fitted) { this.editor.setPicture(img, w, hgt); this.fitted = true; }
    else this.editor.replacePicture(img);
    this.editor.load(this.others.filter((s) => this.atFrame(s, n)));
    this.el.dataset.frame = String(n);
    this.changed();
  }

  private updateHead(t: number): void {
    this.playhead.style.left = `${(100 * t) / this.duration}%`;
    this.time.textContent = `${fmt(t)} / ${fmt(this.duration)} · frame ${Math.round(t * this.fps)}`;
  }

  key(e: KeyboardEvent): boolean {
    if (e.key === "k" || e.key === "K") { this.toggle(); return true; }
    if (e.key === "ArrowLeft") { void this.step(-1); return true; }
    if (e.key === "ArrowRight") { void this.step(1); return true; }
    return false;
  }

  /** The labeled time points, each expandable to edit or delete its labels, or delete all of them. */
  renderPanel(panel: HTMLElement, a: PanelActions): void {
    const all = this.allShapes();
    const points = new Map<number, Shape[]>();
    for (const s of all) {
      const n = s.frame_index ?? Math.round((s.time_point_s || 0) * this.fps);
      points.set(n, [...(points.get(n) || []), s]);
    }
    const frames = [...points.keys()].sort((x, y) => x - y);
    this.timeline.querySelectorAll(".marker").forEach((m) => m.remove());
    for (const n of frames) {
      this.timeline.append(h("span", { class: "marker", style: { left: `${(100 * n) / this.fps / this.duration}%` }, title: fmt(n / this.fps),
        onclick: (e: Event) => { e.stopPropagation(); void this.showFrame(n); } }));
    }
    const current = new Set(this.editor.shapes);
    panel.replaceChildren(h("h2", {}, "All labels"), h("ul", { class: "time-points", "data-testid": "time-points" }, ...frames.map((n) => {
      const shapes = points.get(n)!;
      const open = this.expanded.has(n);
      return h("li", { "data-frame": n, class: n === this.frame ? "current" : "" },
        h("div", { class: "tp" },
          h("button", { class: "icon", "aria-label": `Expand ${fmt(n / this.fps)}`, "aria-expanded": String(open), onclick: () => { if (open) this.expanded.delete(n); else this.expanded.add(n); this.changed(); } }, open ? "▾" : "▸"),
          h("button", { class: "link-button", title: "Go to this time point", onclick: () => void this.showFrame(n) }, `${fmt(n / this.fps)}`), h("span", { class: "muted" }, `frame ${n} · ${shapes.length} label(s)`),
          h("button", { class: "icon", title: "Delete all labels at this time point", "aria-label": `Delete all labels at ${fmt(n / this.fps)}`, onclick: async () => {
            if (!(await confirmDialog("Delete labels", `Delete all ${shapes.length} label(s) at ${fmt(n / this.fps)}?`, "OK", "Cancel"))) return;
            this.others = this.allShapes().filter((s) => !shapes.includes(s));
            this.editor.removeShapes((s) => this.atFrame({ ...s, frame_index: s.frame_index ?? this.frame }, n));
            await a.save();
          } }, "✕")),
        open ? h("ul", { class: "tp-labels" }, ...shapes.map((s) => h("li", { "data-label": s.label },
          h("i", { class: "swatch", style: { background: a.colorOf(s.label) } }), h("span", {}, s.label), h("span", { class: "muted" }, s.kind),
          h("button", { class: "icon", "aria-label": `Edit label ${s.label}`, onclick: async () => { if (n !== this.frame) await this.showFrame(n); const mine = this.editor.shapes.find((x) => x.shape_id === s.shape_id); if (mine) await a.edit(mine); } }, "✎"),
          h("button", { class: "icon", "aria-label": `Delete ${s.label}`, onclick: async () => {
            if (!(await confirmDialog("Delete label", `Delete ${s.label} at ${fmt(n / this.fps)}?`, "OK", "Cancel"))) return;
            if (current.has(s) || this.editor.shapes.some((x) => x.shape_id === s.shape_id)) a.remove(this.editor.shapes.find((x) => x.shape_id === s.shape_id)!);
            else this.others = this.others.filter((x) => x.shape_id !== s.shape_id);
            await a.save();
          } }, "✕")))) : null);
    })), frames.length ? "" : h("p", { class: "muted" }, "No labeled time point yet: pause and draw."));
  }
}

function fmt(t: number): string {
  const m = Math.floor(t / 60), s = t - m * 60;
  return `${String(m).padStart(2, "0")}:${s.toFixed(3).padStart(6, "0")}`;
}
