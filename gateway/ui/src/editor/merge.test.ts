import assert from "node:assert/strict";
import { test } from "node:test";
import type { Shape } from "../api";
import { changes, merge } from "./merge";

const s = (id: string, label = "car", x = 1): Shape => ({ shape_id: id, kind: "rectangle", label, points: [[x, 1], [x + 4, 5]] });
const ids = (shapes: Shape[]) => shapes.map((x) => `${x.shape_id}:${x.label}:${x.points[0][0]}`).sort();

test("edits of different shapes combine: nothing of either side is dropped", () => {
  const base = [s("a"), s("b"), s("c")];
  const mine = [s("a", "bus"), s("b"), s("d")]; // relabel a, delete c, add d
  const theirs = [s("a"), s("b", "car", 7), s("c"), s("e")]; // move b, add e
  const r = merge(base, mine, theirs);
  assert.deepEqual(r.conflicts, []);
  assert.deepEqual(ids(r.shapes), ["a:bus:1", "b:car:7", "d:car:1", "e:car:1"]);
  assert.deepEqual(r.theirs.added.map((x) => x.shape_id), ["e"]);
  assert.deepEqual(r.theirs.changed.map((x) => x.shape_id), ["b"]);
});

test("the same shape changed differently on both sides is a conflict, resolved by the side picked", () => {
  const base = [s("a")];
  const mine = [s("a", "bus")], theirs = [s("a", "car", 9)];
  assert.deepEqual(merge(base, mine, theirs).conflicts, ["a"]);
  assert.deepEqual(ids(merge(base, mine, theirs, "mine").shapes), ["a:bus:1"]);
  assert.deepEqual(ids(merge(base, mine, theirs, "theirs").shapes), ["a:car:9"]);
});

test("deleted by one side and changed by the other is a conflict; the same change on both is not", () => {
  assert.deepEqual(merge([s("a")], [], [s("a", "bus")]).conflicts, ["a"]);
  assert.deepEqual(merge([s("a")], [s("a", "bus")], []).conflicts, ["a"]);
  const same = merge([s("a")], [s("a", "bus")], [s("a", "bus")]);
  assert.deepEqual([same.conflicts, ids(same.shapes)], [[], ["a:bus:1"]]);
  assert.deepEqual(merge([s("a")], [], []).shapes, []);
});

test("my own save whose answer was lost merges to exactly what the server has", () => {
  const base = [s("a")], mine = [s("a"), s("b")];
  const r = merge(base, mine, mine);
  assert.deepEqual([r.conflicts, ids(r.shapes)], [[], ["a:car:1", "b:car:1"]]);
  assert.deepEqual(changes(base, mine).added.map((x) => x.shape_id), ["b"]);
});
