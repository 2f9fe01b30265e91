// The labeling toolbar (segmentation seed, Table 1 and 2): drawing tools, undo/redo, zoom, delete all, show/hide,
// reset shape, full screen. Buttons show their state (active tool, undo/redo available, shapes hidden); viewers get
// only the buttons that change nothing.
import { h } from "../../dom";
import type { CanvasEditor, Tool } from "../../editor/canvas";

export const TOOLS: [Tool, string, string, string][] = [
  ["polygon", "⬠", "Polygon (P)", "p"], ["rectangle", "▭", "Rectangle (R)", "r"], ["circle", "◯", "Circle (C)", "c"],
  ["polyline", "⌁", "Polyline (L)", "l"], ["point", "•", "Point (O)", "o"], ["rotated_rectangle", "⬚", "Rotated rectangle (T)", "t"],
  ["drag", "✥", "Drag a shape or a vertex (V)", "v"],
];

export interface ToolbarActions { fullScreen: () => void; deleteAll: () => void }

export class Toolbar {
  readonly el = h("div", { class: "toolbar", role: "toolbar" });
  private tools = new Map<Tool, HTMLButtonElement>();
  private undoButton: HTMLButtonElement;
  private redoButton: HTMLButtonElement;
  private visibleButton: HTMLButtonElement;

  constructor(private editor: CanvasEditor, private toolKey: string, canWrite: boolean, a: ToolbarActions) {
    const button = (icon: string, title: string, action: () => void, testid: string) =>
      h("button", { class: "tool", title, "aria-label": title, "data-testid": testid, onclick: () => { action(); this.refresh(); } }, icon);
    this.undoButton = button("↶", "Undo (Ctrl+Z)", () => editor.undo(), "undo");
    this.redoButton = button("↷", "Redo (Ctrl+Y)", () => editor.redo(), "redo");
    this.visibleButton = button("◐", "Show or hide shapes (H)", () => editor.toggleVisible(), "toggle-shapes");
    if (canWrite) {
      for (const [t, icon, title] of TOOLS) this.tools.set(t, button(icon, title, () => this.setTool(t), `tool-${t}`));
      this.el.append(...this.tools.values(), h("hr"), this.undoButton, this.redoButton);
    }
    this.el.append(
      button("+", "Zoom in (+)", () => editor.zoomAt(1.25), "zoom-in"),
      button("−", "Zoom out (-)", () => editor.zoomAt(0.8), "zoom-out"),
      canWrite ? button("⌫", "Delete all shapes on this image", a.deleteAll, "delete-all") : "",
      this.visibleButton,
      canWrite ? button("⟲", "Reset the selected shape", () => editor.resetSelected(), "reset-shape") : "",
      button("⤢", "Full screen (F)", a.fullScreen, "full-screen"));
    this.setTool(canWrite ? ((localStorage.getItem(toolKey) as Tool) || editor.tool) : "drag");
  }

  setTool(t: Tool): void {
    this.editor.tool = t;
    if (this.tools.size) localStorage.setItem(this.toolKey, t);
    this.tools.forEach((b, k) => { b.classList.toggle("active", k === t); b.setAttribute("aria-pressed", String(k === t)); });
  }

  /** Undo/redo availability and show/hide state, after any change. */
  refresh(): void {
    this.undoButton.disabled = !this.editor.canUndo;
    this.redoButton.disabled = !this.editor.canRedo;
    this.visibleButton.setAttribute("aria-pressed", String(!this.editor.visible));
    this.visibleButton.classList.toggle("active", !this.editor.visible);
    this.visibleButton.title = this.editor.visible ? "Hide shapes (H)" : "Show shapes (H)";
  }
}
