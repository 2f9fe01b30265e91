import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, type Annotation, type Shape } from "../api";
import { AnnotationModel } from "./model";
import { type AnnotationStore, type SaveHooks, type SaveState, SavePipeline } from "./saver";

const s = (id: string, label = "car"): Shape => ({ shape_id: id, kind: "rectangle", label, points: [[1, 1], [5, 5]] });
const annotation = (revision: number, shapes: Shape[], by = "me"): Annotation =>
  ({ sample_id: "s", dataset_id: "d", revision, status: shapes.length ? "labeled" : "unlabeled", shapes, labeled_by: by, hard_example: false, media_kind: "image" }) as Annotation;

/** A server in memory: revisions, If-Match, and a switch to make it unreachable or slow. */
class FakeServer implements AnnotationStore {
  current = annotation(0, []);
  puts: { basedOn: number; shapes: Shape[] }[] = [];
  down = false;
  gate: Promise<void> = Promise.resolve();
  async get(): Promise<Annotation> { return this.current; }
  async put(shapes: Shape[], basedOn: number): Promise<Annotation> {
    await this.gate;
    if (this.down) throw new TypeError("Failed to fetch");
    this.puts.push({ basedOn, shapes });
    if (basedOn !== this.current.revision) throw new ApiError(409, { error: "stale_revision", message: "stale" });
    this.current = annotation(this.current.revision + 1, shapes);
    return this.current;
  }
}

function pipeline(server: FakeServer, conflict: "mine" | "theirs" | "cancel" = "mine") {
  const model = new AnnotationModel(null);
  model.load(server.current.shapes);
  const states: SaveState["kind"][] = [];
  const hooks: SaveHooks = {
    stateChanged: (st) => { if (states.at(-1) !== st.kind) states.push(st.kind); },
    saved: () => undefined, invalid: () => undefined, merged: () => undefined,
    conflict: async () => conflict,
  };
  return { model, states, saver: new SavePipeline(model, server, hooks, server.current, [5, 5]) };
}

test("a double save sends once; the status goes unsaved, saving, saved", async () => {
  const server = new FakeServer();
  const { model, saver, states } = pipeline(server);
  model.add(s("a"));
  assert.equal(saver.dirty, true);
  const [one, two] = [saver.save(), saver.save()];
  assert.deepEqual([await one, await two], [true, true]);
  assert.equal(server.puts.length, 1);
  assert.deepEqual(states, ["dirty", "saving", "saved"]);
  assert.deepEqual(saver.state, { kind: "saved", revision: 1 });
});

test("edits made while a save is in flight go next, on the revision it returned", async () => {
  const server = new FakeServer();
  const { model, saver } = pipeline(server);
  let open!: () => void;
  server.gate = new Promise((r) => { open = r; });
  model.add(s("a"));
  const first = saver.save();
  model.add(s("b"));
  const second = saver.save();
  open();
  assert.deepEqual([await first, await second], [true, true]);
  assert.deepEqual(server.puts.map((p) => [p.basedOn, p.shapes.length]), [[0, 1], [1, 2]]);
  assert.equal(server.current.revision, 2);
  assert.equal(saver.dirty, false);
});

test("a save waits for an action that is still changing the model (a label being created)", async () => {
  const server = new FakeServer();
  const { model, saver } = pipeline(server);
  let finish!: () => void;
  void saver.track(new Promise<void>((r) => { finish = r; }).then(() => model.add(s("a", "new-label"))));
  const saving = saver.save();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.puts.length, 0);
  finish();
  assert.equal(await saving, true);
  assert.deepEqual(server.current.shapes.map((x) => x.label), ["new-label"]);
});

test("someone else's save of other shapes is combined and saved on top of their revision", async () => {
  const server = new FakeServer();
  server.current = annotation(1, [s("a")]);
  const { model, saver } = pipeline(server);
  server.current = annotation(2, [s("a"), s("theirs")], "other"); // saved by someone else meanwhile
  model.add(s("mine"));
  assert.equal(await saver.save(), true);
  assert.deepEqual(server.current.shapes.map((x) => x.shape_id).sort(), ["a", "mine", "theirs"]);
  assert.equal(server.current.revision, 3);
});

test("a conflict on one shape: 'theirs' drops my edits of this file, 'cancel' keeps them unsaved", async () => {
  for (const choice of ["theirs", "cancel"] as const) {
    const server = new FakeServer();
    server.current = annotation(1, [s("a")]);
    const { model, saver } = pipeline(server, choice);
    server.current = annotation(2, [s("a", "bus")], "other");
    model.replace("a", s("a", "van"));
    const ok = await saver.save();
    assert.equal(server.current.revision, 2);
    if (choice === "theirs") assert.deepEqual([ok, model.all()[0].label, saver.dirty], [true, "bus", false]);
    else assert.deepEqual([ok, model.all()[0].label, saver.state.kind], [false, "van", "failed"]);
  }
});

test("an unreachable server: offline, retried, saved once it answers", async () => {
  const server = new FakeServer();
  const { model, saver, states } = pipeline(server);
  server.down = true;
  model.add(s("a"));
  assert.equal(await saver.save(), false);
  assert.equal(saver.state.kind, "offline");
  server.down = false;
  const settled = () => (saver.state as SaveState).kind === "saved";
  for (let i = 0; i < 50 && !settled(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(saver.state, { kind: "saved", revision: 1 });
  assert.deepEqual(states, ["dirty", "saving", "offline", "saving", "saved"]);
});

test("undoing back to what the server has leaves nothing to save", async () => {
  const server = new FakeServer();
  const { model, saver } = pipeline(server);
  model.add(s("a"));
  model.undo();
  assert.equal(saver.dirty, false);
  assert.equal(await saver.save(), true);
  assert.equal(server.puts.length, 0);
});
