// What to do when someone else saved the same shapes meanwhile: show what they changed, keep mine on top or take theirs.
import type { Annotation, Shape } from "../../api";
import { dialog, h } from "../../dom";
import type { MergeResult } from "../../editor/merge";

export async function askConflict(result: MergeResult, theirs: Annotation, mine: readonly Shape[]): Promise<"mine" | "theirs" | "cancel"> {
  const who = theirs.labeled_by || "Someone else";
  const list = (title: string, shapes: Shape[]) => shapes.length
    ? h("li", {}, `${title}: `, shapes.map((s) => `${s.label} (${s.kind})`).join(", ")) : null;
  const mineById = new Map(mine.map((s) => [s.shape_id, s]));
  const both = result.conflicts.map((id) => mineById.get(id) || theirs.shapes.find((s) => s.shape_id === id)).filter((s): s is Shape => !!s);
  const body = h("div", { "data-testid": "conflict" },
    h("p", {}, `${who} saved this file (revision ${theirs.revision}) while you were editing it. They changed:`),
    h("ul", {}, list("added", result.theirs.added), list("changed", result.theirs.changed), list("deleted", result.theirs.removed)),
    h("p", {}, `You both changed ${both.length} shape(s): `, both.map((s) => `${s.label} (${s.kind})`).join(", "), "."),
    h("p", { class: "muted" }, "Keep mine: their other changes are kept and yours are applied on top. Take theirs: your edits of this file are discarded."));
  const choice = await dialog("Changed by someone else", body, [
    { label: "Decide later", value: "cancel" as const },
    { label: "Take theirs", value: "theirs" as const, danger: true },
    { label: "Keep mine on top", value: "mine" as const, primary: true },
  ]);
  return choice ?? "cancel";
}
