// The dataset's label set as the labeling page uses it: colours, the label picker (an existing label, or a new one
// with name and colour, created on the server before the shape that uses it is saved), rename/recolour.
import { ApiError, Label, labelSetOf, post, request } from "../../api";
import { dialog, h, toast } from "../../dom";
import { describeError } from "../../errors";

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990"];

export class LabelSet {
  last: string;
  /** Set when shapes with labels unknown here arrived (someone else added them): read again before the next pick. */
  stale = false;
  constructor(private datasetId: string, public labels: Label[]) { this.last = labels[0]?.name || ""; }

  static async load(datasetId: string): Promise<LabelSet> {
    return new LabelSet(datasetId, await labelSetOf(datasetId));
  }

  colorOf = (name: string): string => this.labels.find((l) => l.name === name)?.color || "#9aa0a6";

  async reload(): Promise<void> { this.labels = await labelSetOf(this.datasetId); }

  /** Ask for a label; a new one is created on the server before this resolves. Null: cancelled or refused. */
  has(name: string): boolean { return this.labels.some((l) => l.name === name); }

  async pick(current: string, title = "Label"): Promise<string | null> {
    if (this.stale) { this.stale = false; await this.reload().catch(() => undefined); }
    const select = h("select", { name: "label", "aria-label": "Existing label" }, h("option", { value: "" }, "— new label —"),
      ...this.labels.map((l) => h("option", { value: l.name, selected: l.name === (current || this.last) }, l.name)));
    const name = h("input", { name: "new_label", placeholder: "New label name", "aria-label": "New label name", maxlength: 100 });
    const color = h("input", { type: "color", name: "color", "aria-label": "Label colour", value: PALETTE[this.labels.length % PALETTE.length] });
    name.addEventListener("input", () => { if (name.value) select.value = ""; });
    const body = h("div", { class: "form" }, h("label", {}, "Label", select), h("div", { class: "row" }, h("label", {}, "Add label", name), h("label", {}, "Colour", color)));
    setTimeout(() => (this.labels.length && !name.value ? select : name).focus(), 0);
    const ok = await dialog(title, body, [{ label: "Cancel", value: false }, { label: "Add", value: true, primary: true }]);
    if (!ok) return null;
    const chosen = name.value.trim() || select.value;
    if (!chosen) return null;
    if (!this.labels.some((l) => l.name === chosen) && !(await this.create(chosen, color.value))) return null;
    this.last = chosen;
    return chosen;
  }

  /** The new label is listed at once (the next shape drawn can pick it while the server is still creating it). */
  private async create(name: string, color: string): Promise<boolean> {
    const label = { name, color };
    this.labels = [...this.labels, label];
    try { await post(`/api/labeling/datasets/${this.datasetId}/labels`, label); }
    catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) {
        this.labels = this.labels.filter((l) => l !== label);
        toast(describeError(e, `Could not add the label ${name}`), "error");
        return false;
      }
    }
    await this.reload().catch(() => undefined); // unreadable now: the label stays listed as created here
    return true;
  }

  /** Rename and/or recolour a label in the whole dataset; resolves with the new name (null: nothing changed). */
  async edit(name: string): Promise<string | null> {
    const newName = h("input", { name: "rename", value: name, "aria-label": "Label name", maxlength: 100 });
    const color = h("input", { type: "color", name: "recolor", "aria-label": "Label colour", value: this.colorOf(name) });
    const ok = await dialog("Edit label", h("div", { class: "form" }, h("label", {}, "Name", newName), h("label", {}, "Colour", color),
      h("p", { class: "muted" }, "The change applies to every file of the dataset.")), [{ label: "Cancel", value: false }, { label: "Save", value: true, primary: true }]);
    if (!ok) return null;
    const renamed = newName.value.trim();
    try {
      await request("PATCH", `/api/labeling/datasets/${this.datasetId}/labels/${encodeURIComponent(name)}`, { name: renamed && renamed !== name ? renamed : null, color: color.value });
      await this.reload();
      return renamed || name;
    } catch (e) { toast(describeError(e, "The label was not changed"), "error"); return null; }
  }
}
