// The panel right of the picture, computed from the annotation model: "File Labels" of an image (label counts,
// shapes, problems) or "All labels" of a video (labeled time points, each expandable to edit or delete its labels).
import type { Shape } from "../../api";
import { h } from "../../dom";
import type { CanvasEditor } from "../../editor/canvas";
import type { AnnotationModel, TimePointView } from "../../editor/model";
import { fmt } from "../../editor/video";

export interface PanelActions {
  colorOf: (label: string) => string;
  editShape: (s: Shape) => Promise<void>;
  removeShape: (s: Shape) => Promise<void>;
  removeTimePoint: (tp: TimePointView) => Promise<void>;
  renameLabel: (name: string) => Promise<void>;
  goTo: (frame: number) => Promise<void>;
  /** The frame on screen (video), or null. */
  shownFrame: () => number | null;
}

export class LabelPanel {
  readonly el = h("aside", { class: "panel" });
  private expanded = new Set<number>();

  constructor(private model: AnnotationModel, private editor: CanvasEditor, private canWrite: boolean, private a: PanelActions,
    private extras: () => (HTMLElement | null)[]) {}

  render(): void {
    this.el.replaceChildren(...(this.model.isVideo ? this.videoPanel() : this.imagePanel()), this.problems() || "", ...this.extras().filter((x): x is HTMLElement => !!x));
  }

  private chips(shapes: readonly Shape[]): HTMLElement {
    return h("div", { class: "chips", "data-testid": "file-label-counts" }, ...[...this.model.labelCounts(shapes)].map(([n, c]) =>
      h("span", { class: "chip" }, h("i", { style: { background: this.a.colorOf(n) } }), n, h("b", {}, c),
        this.canWrite ? h("button", { class: "icon", title: "Rename or recolour this label everywhere", "aria-label": `Rename label ${n}`, onclick: () => void this.a.renameLabel(n) }, "✎") : null)));
  }

  private shapeRow(s: Shape, selected: boolean, onclick?: () => void): HTMLElement {
    const problem = this.model.errors.get(s.shape_id);
    return h("li", { class: `${selected ? "selected" : ""}${problem ? " invalid" : ""}`, "data-label": s.label, "data-shape": s.shape_id, onclick },
      h("i", { class: "swatch", style: { background: this.a.colorOf(s.label) } }), h("span", {}, s.label), h("span", { class: "muted" }, s.kind),
      problem ? h("span", { class: "error" }, problem) : null,
      this.canWrite ? h("button", { class: "icon", title: "Edit label", "aria-label": `Edit label ${s.label}`, onclick: (e: Event) => { e.stopPropagation(); void this.a.editShape(s); } }, "✎") : null,
      this.canWrite ? h("button", { class: "icon", title: "Delete", "aria-label": `Delete ${s.label}`, onclick: (e: Event) => { e.stopPropagation(); void this.a.removeShape(s); } }, "✕") : null);
  }

  private imagePanel(): HTMLElement[] {
    const shapes = this.model.all();
    const selectedId = this.editor.shapes[this.editor.selected]?.shape_id;
    return [
      h("h2", {}, "File Labels"), this.chips(shapes),
      h("ul", { class: "shapes", "data-testid": "file-labels" }, ...shapes.map((s) =>
        this.shapeRow(s, s.shape_id === selectedId, () => { this.editor.select(s.shape_id); this.render(); }))),
      shapes.length ? h("span") : h("p", { class: "muted" }, this.canWrite ? "No shapes yet: pick a tool and draw." : "No shapes."),
    ];
  }

  private videoPanel(): HTMLElement[] {
    const points = this.model.timePoints(), shown = this.a.shownFrame();
    return [h("h2", {}, "All labels"), this.chips(this.model.all()),
      h("ul", { class: "time-points", "data-testid": "time-points" }, ...points.map((tp) => this.timePoint(tp, tp.frame === shown))),
      points.length ? h("span") : h("p", { class: "muted" }, this.canWrite ? "No labeled time point yet: pause and draw." : "No labeled time point.")];
  }

  private timePoint(tp: TimePointView, current: boolean): HTMLElement {
    const open = this.expanded.has(tp.frame), at = fmt(tp.frame / (this.model.fps || 25));
    const selectedId = current ? this.editor.shapes[this.editor.selected]?.shape_id : undefined;
    return h("li", { "data-frame": tp.frame, class: current ? "current" : "" },
      h("div", { class: "tp" },
        h("button", { class: "icon", "aria-label": `Expand ${at}`, "aria-expanded": String(open), onclick: () => { if (open) this.expanded.delete(tp.frame); else this.expanded.add(tp.frame); this.render(); } }, open ? "▾" : "▸"),
        h("button", { class: "link-button", title: "Go to this time point", onclick: () => void this.a.goTo(tp.frame) }, at),
        h("span", { class: "muted" }, `frame ${tp.frame} · ${tp.shapes.length} label(s)`),
        this.canWrite ? h("button", { class: "icon", title: "Delete all labels at this time point", "aria-label": `Delete all labels at ${at}`, onclick: () => void this.a.removeTimePoint(tp) }, "✕") : null),
      open ? h("ul", { class: "tp-labels" }, ...tp.shapes.map((s) => this.shapeRow(s, s.shape_id === selectedId))) : null);
  }

  /** Problems the server found, each with a way to the shape at fault (at whatever time point it is). */
  private problems(): HTMLElement | null {
    if (!this.model.errors.size) return null;
    const rows = [...this.model.errors].map(([id, message]) => {
      const s = this.model.find(id);
      if (!s) return null;
      const frame = this.model.frameOf(s);
      return h("li", {}, h("span", {}, `${s.label} (${s.kind})${frame !== null ? ` at ${fmt(frame / (this.model.fps || 25))}` : ""}: ${message}`),
        h("button", { class: "link-button", "data-testid": "show-problem", onclick: async () => {
          if (frame !== null) { this.expanded.add(frame); await this.a.goTo(frame); }
          this.editor.select(id);
          this.render();
        } }, "Show"));
    });
    return h("div", { class: "problems", "data-testid": "problems" }, h("h3", {}, "Not saved: fix these shapes"), h("ul", {}, ...rows));
  }
}
