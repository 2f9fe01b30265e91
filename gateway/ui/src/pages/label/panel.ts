// The panel right of the picture, computed from the annotation model: "File Labels" of an image (label counts,
// shapes, problems) or "All labels" of a video (labeled time points, each expandable to edit or delete its labels).
// It is re-rendered on every change (an edit, a save, a label set read again when someone renames a label), so the
// new content is morphed into the elements on screen rather than replacing them, and every button acts through one
// listener that looks the shape up when clicked: a click whose press and release straddle a re-render still lands,
// on the shape as it is now.
import morphdom from "morphdom";
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

export interface PanelFooter { hardExample: HTMLElement; note: () => string; shortcuts: HTMLElement }

type Act = "select" | "edit" | "delete" | "rename" | "expand" | "goto" | "delete-time-point" | "show";

export class LabelPanel {
  private readonly body = h("div", { class: "panel-body" });
  private readonly note = h("p", { class: "muted small", "data-testid": "panel-note" });
  readonly el: HTMLElement;
  private expanded = new Set<number>();

  /** The footer's elements are the page's own and are shown as they are (they keep their state and listeners); its
   * note is read again at every render. */
  constructor(private model: AnnotationModel, private editor: CanvasEditor, private canWrite: boolean, private a: PanelActions,
    private footer: PanelFooter) {
    this.el = h("aside", { class: "panel" }, this.body, footer.hardExample, this.note, footer.shortcuts);
    this.el.addEventListener("click", (e) => this.clicked(e));
  }

  render(): void {
    const next = h("div", { class: "panel-body" }, ...(this.model.isVideo ? this.videoPanel() : this.imagePanel()), this.problems());
    morphdom(this.body, next);
    this.note.textContent = this.footer.note();
  }

  private clicked(e: MouseEvent): void {
    const button = (e.target as Element).closest<HTMLElement>("[data-act]");
    if (!button || !this.body.contains(button)) return;
    const act = button.dataset.act as Act;
    const shapeId = button.closest<HTMLElement>("[data-shape]")?.dataset.shape;
    const shape = shapeId ? this.model.find(shapeId) : undefined;
    const frame = Number(button.closest<HTMLElement>("[data-frame]")?.dataset.frame);
    if (act === "select" && shape) { this.editor.select(shape.shape_id); this.render(); }
    else if (act === "edit" && shape) void this.a.editShape(shape);
    else if (act === "delete" && shape) void this.a.removeShape(shape);
    else if (act === "rename" && button.dataset.label) void this.a.renameLabel(button.dataset.label);
    else if (act === "expand") { if (!this.expanded.delete(frame)) this.expanded.add(frame); this.render(); }
    else if (act === "goto") void this.a.goTo(frame);
    else if (act === "delete-time-point") {
      const tp = this.model.timePoints().find((t) => t.frame === frame);
      if (tp) void this.a.removeTimePoint(tp);
    } else if (act === "show" && shapeId) void this.showProblem(shapeId);
  }

  private async showProblem(id: string): Promise<void> {
    const s = this.model.find(id);
    const frame = s ? this.model.frameOf(s) : null;
    if (frame !== null) { this.expanded.add(frame); await this.a.goTo(frame); }
    this.editor.select(id);
    this.render();
  }

  private chips(shapes: readonly Shape[]): HTMLElement {
    return h("div", { class: "chips", "data-testid": "file-label-counts" }, ...[...this.model.labelCounts(shapes)].map(([n, c]) =>
      h("span", { class: "chip" }, h("i", { style: { background: this.a.colorOf(n) } }), n, h("b", {}, c),
        this.canWrite ? h("button", { class: "icon", title: "Rename or recolour this label everywhere", "aria-label": `Rename label ${n}`, "data-act": "rename", "data-label": n }, "✎") : null)));
  }

  private shapeRow(s: Shape, selected: boolean, selectable: boolean): HTMLElement {
    const problem = this.model.errors.get(s.shape_id);
    return h("li", { class: `${selected ? "selected" : ""}${problem ? " invalid" : ""}`, "data-label": s.label, "data-shape": s.shape_id, "data-act": selectable ? "select" : undefined },
      h("i", { class: "swatch", style: { background: this.a.colorOf(s.label) } }), h("span", {}, s.label), h("span", { class: "muted" }, s.kind),
      problem ? h("span", { class: "error" }, problem) : null,
      this.canWrite ? h("button", { class: "icon", title: "Edit label", "aria-label": `Edit label ${s.label}`, "data-act": "edit" }, "✎") : null,
      this.canWrite ? h("button", { class: "icon", title: "Delete", "aria-label": `Delete ${s.label}`, "data-act": "delete" }, "✕") : null);
  }

  private imagePanel(): HTMLElement[] {
    const shapes = this.model.all();
    const selectedId = this.editor.shapes[this.editor.selected]?.shape_id;
    return [
      h("h2", {}, "File Labels"), this.chips(shapes),
      h("ul", { class: "shapes", "data-testid": "file-labels" }, ...shapes.map((s) =>
        this.shapeRow(s, s.shape_id === selectedId, true))),
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
        h("button", { class: "icon", "aria-label": `Expand ${at}`, "aria-expanded": String(open), "data-act": "expand" }, open ? "▾" : "▸"),
        h("button", { class: "link-button", title: "Go to this time point", "data-act": "goto" }, at),
        h("span", { class: "muted" }, `frame ${tp.frame} · ${tp.shapes.length} label(s)`),
        this.canWrite ? h("button", { class: "icon", title: "Delete all labels at this time point", "aria-label": `Delete all labels at ${at}`, "data-act": "delete-time-point" }, "✕") : null),
      open ? h("ul", { class: "tp-labels" }, ...tp.shapes.map((s) => this.shapeRow(s, s.shape_id === selectedId, false))) : null);
  }

  /** Problems the server found, each with a way to the shape at fault (at whatever time point it is). */
  private problems(): HTMLElement | null {
    if (!this.model.errors.size) return null;
    const rows = [...this.model.errors].map(([id, message]) => {
      const s = this.model.find(id);
      if (!s) return null;
      const frame = this.model.frameOf(s);
      return h("li", { "data-shape": id }, h("span", {}, `${s.label} (${s.kind})${frame !== null ? ` at ${fmt(frame / (this.model.fps || 25))}` : ""}: ${message}`),
        h("button", { class: "link-button", "data-testid": "show-problem", "data-act": "show" }, "Show"));
    });
    return h("div", { class: "problems", "data-testid": "problems" }, h("h3", {}, "Not saved: fix these shapes"), h("ul", {}, ...rows));
  }
}
