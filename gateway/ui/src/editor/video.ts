// The video stage: player with play/pause, frame stepping and a timeline with markers at the labeled time points.
// Paused, it shows the exact frame (from media-svc) in the canvas editor; the editor's scope becomes that frame only
// once its picture is on screen, so a shape is always stamped with the frame the annotator saw. Playing, pausing and
// stepping never touch the annotation model.
import { Sample, media } from "../api";
import { h } from "../dom";
import type { CanvasEditor } from "./canvas";
import type { AnnotationModel } from "./model";

export class VideoStage {
  readonly el = h("div", { class: "video-stage" });
  private video = h("video", { preload: "auto", playsInline: true, muted: true, "data-testid": "video" });
  private frameArea = h("div", { class: "frame-area" });
  private timeline = h("div", { class: "timeline", "data-testid": "timeline" });
  private playhead = h("div", { class: "playhead" });
  private time = h("span", { class: "time mono", "data-testid": "time" });
  private playButton = h("button", { class: "tool", "data-testid": "play", title: "Play / pause (K)", "aria-label": "Play", onclick: () => this.toggle() }, "▶");
  readonly fps: number;
  readonly duration: number;
  /** The frame whose picture is on screen (and whose shapes the editor shows). */
  shown = -1;
  /** The frame asked for last (stepping runs ahead of slow frame loads). */
  wanted = 0;
  private fitted = false;

  constructor(private datasetId: string, private sample: Sample, private model: AnnotationModel, private editor: CanvasEditor,
    private frameShown: (frame: number) => void) {
    this.fps = model.fps || 25;
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
    this.frameArea.append(this.video, editor.canvas);
    this.video.hidden = true;
    this.el.append(this.frameArea, h("div", { class: "controls" },
      this.playButton,
      h("button", { class: "tool", "data-testid": "frame-back", title: "Previous frame (←)", "aria-label": "Previous frame", onclick: () => void this.step(-1) }, "|◀"),
      h("button", { class: "tool", "data-testid": "frame-forward", title: "Next frame (→)", "aria-label": "Next frame", onclick: () => void this.step(1) }, "▶|"),
      this.time, this.timeline));
    model.onChange(() => this.renderMarkers());
  }

  destroy(): void { this.video.pause(); this.video.removeAttribute("src"); this.video.load(); }

  get playing(): boolean { return !this.video.paused; }

  private setPlaying(playing: boolean): void {
    this.video.hidden = !playing;
    this.editor.canvas.hidden = playing;
    this.el.classList.toggle("playing", playing);
    this.playButton.textContent = playing ? "⏸" : "▶";
    this.playButton.setAttribute("aria-label", playing ? "Pause" : "Play");
    this.playButton.setAttribute("aria-pressed", String(playing));
  }

  toggle(): void {
    if (this.video.paused) {
      this.video.currentTime = this.wanted / this.fps;
      this.setPlaying(true);
      this.video.play().catch(() => { this.setPlaying(false); void this.showFrame(this.wanted); });
    } else this.video.pause();
  }

  async step(delta: number): Promise<void> {
    if (!this.video.paused) this.video.pause();
    await this.showFrame(this.wanted + delta);
  }

  async seek(t: number): Promise<void> {
    if (!this.video.paused) { this.video.currentTime = t; return; }
    await this.showFrame(Math.round(t * this.fps));
  }

  lastFrame(): number { return Math.max(0, (this.sample.media?.frame_count || Math.round(this.duration * this.fps)) - 1); }

  /** Paused at frame `n`: once the exact frame has loaded (and nothing newer was asked for), show it with its shapes. */
  async showFrame(n: number): Promise<void> {
    n = Math.max(0, Math.min(this.lastFrame(), Math.round(n)));
    this.wanted = n;
    this.setPlaying(false);
    this.updateHead(n / this.fps);
    const img = new Image();
    img.src = `${media.frame(this.datasetId, this.sample.id, 0).split("?")[0]}?n=${n}`;
    await img.decode().catch(() => undefined);
    if (this.wanted !== n || !this.video.paused) return; // a newer frame was asked for, or playback resumed
    const w = img.naturalWidth || this.sample.media?.width || 640, hgt = img.naturalHeight || this.sample.media?.height || 360;
    if (!this.fitted) { this.editor.setPicture(img, w, hgt); this.fitted = true; }
    else this.editor.replacePicture(img);
    this.shown = n;
    this.editor.setScope(n);
    this.el.dataset.frame = String(n);
    this.renderMarkers();
    this.frameShown(n);
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

  /** Timeline markers at the labeled time points (computed from the model). */
  private renderMarkers(): void {
    this.timeline.querySelectorAll(".marker").forEach((m) => m.remove());
    for (const tp of this.model.timePoints()) {
      this.timeline.append(h("span", { class: `marker${tp.frame === this.shown ? " current" : ""}`, "data-frame": tp.frame,
        style: { left: `${(100 * tp.frame) / this.fps / this.duration}%` }, title: fmt(tp.frame / this.fps),
        onclick: (e: Event) => { e.stopPropagation(); void this.showFrame(tp.frame); } }));
    }
  }
}

export function fmt(t: number): string {
  const m = Math.floor(t / 60), s = t - m * 60;
  return `${String(m).padStart(2, "0")}:${s.toFixed(3).padStart(6, "0")}`;
}
