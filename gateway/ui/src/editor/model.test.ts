import assert from "node:assert/strict";
import { test } from "node:test";
import type { Shape } from "../api";
import { AnnotationModel, sameShapes } from "./model";

const box = (id: string, frame?: number, label = "car"): Shape => ({
  shape_id: id, kind: "rectangle", label, points: [[1, 1], [5, 5]],
  ...(frame === undefined ? {} : { frame_index: frame, time_point_s: frame / 25 }),
});

test("a video's view of a frame holds that frame's shapes only, and computing it changes nothing", () => {
  const m = new AnnotationModel(25);
  m.load([box("a", 10), box("b", 10), box("c", 30)]);
  const before = m.version;
  assert.deepEqual(m.at(10).map((s) => s.shape_id), ["a", "b"]);
  assert.deepEqual(m.at(30).map((s) => s.shape_id), ["c"]);
  assert.deepEqual(m.at(11), []);
  for (let n = 0; n < 40; n++) m.at(n); // stepping through frames
  assert.equal(m.version, before);
  assert.equal(m.size, 3);
});

test("a shape without frame index belongs to the frame of its time point", () => {
  const m = new AnnotationModel(25);
  m.load([{ ...box("a"), time_point_s: 0.4 }]);
  assert.equal(m.frameOf(m.all()[0]), 10);
  assert.deepEqual(m.stampFor(10), { time_point_s: 0.4, frame_index: 10 });
});

test("time points and label counts are computed from the shapes", () => {
  const m = new AnnotationModel(25);
  m.load([box("c", 30, "dog"), box("a", 10), box("b", 10, "dog")]);
  assert.deepEqual(m.timePoints().map((t) => [t.frame, t.shapes.length]), [[10, 2], [30, 1]]);
  assert.deepEqual([...m.labelCounts()], [["dog", 2], ["car", 1]]);
  const image = new AnnotationModel(null);
  image.load([box("x")]);
  assert.deepEqual(image.timePoints(), []);
  assert.equal(image.at(null).length, 1);
});

test("edits are undone and redone as a whole; loading clears the history", () => {
  const m = new AnnotationModel(null);
  m.load([box("a")]);
  m.add(box("b"));
  m.replace("a", { ...box("a"), label: "bus" });
  m.remove((s) => s.shape_id === "b");
  assert.deepEqual(m.all().map((s) => `${s.shape_id}:${s.label}`), ["a:bus"]);
  assert.ok(m.undo() && m.undo());
  assert.deepEqual(m.all().map((s) => `${s.shape_id}:${s.label}`), ["a:car", "b:car"]);
  assert.ok(m.redo());
  assert.equal(m.find("a")?.label, "bus");
  m.load([]);
  assert.equal(m.canUndo, false);
  assert.throws(() => { m.add(box("z")); m.add(box("z")); }, /exists already/);
});

test("a shape handed in or out is a copy", () => {
  const m = new AnnotationModel(null);
  const s = box("a");
  m.add(s);
  s.points[0][0] = 99;
  assert.equal(m.all()[0].points[0][0], 1);
  assert.ok(sameShapes([box("a"), box("b")], [box("b"), box("a")]));
  assert.ok(!sameShapes([box("a")], [{ ...box("a"), label: "bus" }]));
});

test("listeners hear every change; errors are cleared by an edit", () => {
  const m = new AnnotationModel(null);
  let heard = 0;
  m.onChange(() => heard++);
  m.load([box("a")]);
  m.errors.set("a", "it has no area");
  m.replace("a", { ...box("a"), points: [[1, 1], [9, 9]] });
  assert.equal(heard, 2);
  assert.equal(m.errors.size, 0);
});
