// Three-way merge of a sample's shapes by shape id: what I changed since the revision I started from (base), and
// what someone else saved meanwhile (theirs). Edits that touch different shapes combine; a shape both sides changed
// differently is a conflict, resolved by the side the user picks. Nothing is dropped silently. Pure.
import type { Shape } from "../api";
import { sameShape } from "./model";

export interface ChangeSummary { added: Shape[]; changed: Shape[]; removed: Shape[] }
export interface MergeResult {
  shapes: Shape[];
  /** Ids of the shapes both sides changed differently. */
  conflicts: string[];
  /** What the other side changed since base. */
  theirs: ChangeSummary;
}

export function changes(base: readonly Shape[], next: readonly Shape[]): ChangeSummary {
  const before = byId(base), after = byId(next);
  return {
    added: next.filter((s) => !before.has(s.shape_id)),
    changed: next.filter((s) => { const b = before.get(s.shape_id); return !!b && !sameShape(b, s); }),
    removed: base.filter((s) => !after.has(s.shape_id)),
  };
}

export function isEmpty(c: ChangeSummary): boolean { return !c.added.length && !c.changed.length && !c.removed.length; }

export function merge(base: readonly Shape[], mine: readonly Shape[], theirs: readonly Shape[], prefer: "mine" | "theirs" = "mine"): MergeResult {
  const b = byId(base), m = byId(mine), t = byId(theirs);
  const order = [...theirs.map((s) => s.shape_id), ...mine.map((s) => s.shape_id).filter((id) => !t.has(id)), ...base.map((s) => s.shape_id)];
  const seen = new Set<string>(), shapes: Shape[] = [], conflicts: string[] = [];
  for (const id of order) {
    if (seen.has(id)) continue;
    seen.add(id);
    const bs = b.get(id), ms = m.get(id), ts = t.get(id);
    const mineChanged = !same(bs, ms), theirsChanged = !same(bs, ts);
    let pick: Shape | undefined;
    if (!mineChanged) pick = ts;
    else if (!theirsChanged || same(ms, ts)) pick = ms;
    else { conflicts.push(id); pick = prefer === "mine" ? ms : ts; }
    if (pick) shapes.push(pick);
  }
  return { shapes, conflicts, theirs: changes(base, theirs) };
}

function same(a: Shape | undefined, b: Shape | undefined): boolean {
  if (!a || !b) return a === b;
  return sameShape(a, b);
}

function byId(shapes: readonly Shape[]): Map<string, Shape> { return new Map(shapes.map((s) => [s.shape_id, s])); }
