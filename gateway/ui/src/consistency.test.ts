import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveFanout, NotArrivedError, RECONNECTED, changes, knowsDataset, mayKnow, whenArrived } from "./consistency";
import type { LiveEvent } from "./live";

const projected = (service: string, ...ids: string[]): LiveEvent => ({ type: "SamplesProjected", service, samples: ids.map((sample_id) => ({ sample_id })) });
const notFound = Object.assign(new Error("not found"), { status: 404 });
const missing = (e: unknown) => e === notFound;

/** A timer the test fires by hand. */
function fakeTimer() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    set: (fn: () => void) => { pending.set(++next, fn); return next; },
    clear: (h: unknown) => { pending.delete(h as number); },
    fire: () => { for (const [h, fn] of [...pending]) { pending.delete(h); fn(); } },
    get pending() { return pending.size; },
  };
}
const settle = () => new Promise((r) => setImmediate(r));

test("a listing reloads on its service's announcement and own events, not on the event it has yet to apply", () => {
  assert.equal(changes("dataset-svc", { type: "LabelChanged", sample_id: "s", revision: 2 }), false);
  assert.equal(changes("dataset-svc", { type: "DataAdded", count: 3 }), false);
  assert.equal(changes("dataset-svc", projected("labeling-svc", "s")), false);
  assert.equal(changes("dataset-svc", projected("dataset-svc", "s")), true);
  assert.equal(changes("dataset-svc", { type: "SampleDeleted", sample_ids: ["s"] }), true);
  assert.equal(changes("labeling-svc", { type: "LabelChanged", sample_id: "s", revision: 2 }), true);
  assert.equal(changes("labeling-svc", { type: RECONNECTED }), true);
});

test("a sample may be known after its service names it, a too-big announcement or a reconnect", () => {
  assert.equal(mayKnow("labeling-svc", "a", projected("labeling-svc", "b", "a")), true);
  assert.equal(mayKnow("labeling-svc", "a", projected("labeling-svc", "b")), false);
  assert.equal(mayKnow("labeling-svc", "a", projected("dataset-svc", "a")), false);
  assert.equal(mayKnow("labeling-svc", "a", { type: "SamplesProjected", service: "labeling-svc", truncated: true }), true);
  assert.equal(mayKnow("labeling-svc", "a", { type: "DataAdded" }), false);
  assert.equal(mayKnow("labeling-svc", "a", { type: RECONNECTED }), true);
});

test("a known sample is read once, without waiting", async () => {
  const live = new LiveFanout(), timer = fakeTimer();
  let reads = 0, waited = false;
  const value = await whenArrived({ load: async () => { reads++; return "ok"; }, missing, listen: live.listen, mayBeThere: () => true,
    timeoutMs: 60_000, waiting: () => { waited = true; }, timer });
  assert.deepEqual([value, reads, waited, timer.pending], ["ok", 1, false, 0]);
});

test("on 404 it waits for the announcement and reads once more, nothing in between", async () => {
  const live = new LiveFanout(), timer = fakeTimer();
  let known = false, reads = 0, waited = 0;
  const result = whenArrived({ load: async () => { reads++; if (!known) throw notFound; return "annotation"; }, missing, listen: live.listen,
    mayBeThere: (e) => mayKnow("labeling-svc", "a", e), timeoutMs: 60_000, waiting: () => { waited++; }, timer });
  await settle();
  assert.deepEqual([reads, waited], [1, 1]);
  live.emit(projected("labeling-svc", "b")); // another file
  live.emit(projected("dataset-svc", "a")); // another service
  await settle();
  assert.equal(reads, 1);
  known = true;
  live.emit(projected("labeling-svc", "a"));
  assert.equal(await result, "annotation");
  assert.deepEqual([reads, waited, timer.pending], [2, 1, 0]);
  live.emit(projected("labeling-svc", "a")); // stopped listening
  await settle();
  assert.equal(reads, 2);
});

test("an announcement during the first read (before its 404 answer) leads to one more read", async () => {
  const live = new LiveFanout(), timer = fakeTimer();
  let reads = 0;
  let answer: (ok: boolean) => void = () => undefined;
  const result = whenArrived({ load: () => { reads++; return new Promise<string>((res, rej) => { answer = (ok) => ok ? res("there") : rej(notFound); }); },
    missing, listen: live.listen, mayBeThere: (e) => mayKnow("labeling-svc", "a", e), timeoutMs: 60_000, timer });
  live.emit(projected("labeling-svc", "a")); // arrives while the read is under way
  answer(false); // the read saw the state before the announcement
  await settle();
  assert.equal(reads, 2);
  answer(true);
  assert.equal(await result, "there");
});

test("without the announcement it fails with a plain error after the timeout, one timer in all", async () => {
  const live = new LiveFanout(), timer = fakeTimer();
  let reads = 0;
  const result = whenArrived({ load: async () => { reads++; throw notFound; }, missing, listen: live.listen, mayBeThere: () => true, timeoutMs: 60_000, timer });
  await settle();
  assert.equal(timer.pending, 1);
  timer.fire();
  await assert.rejects(result, (e) => e instanceof NotArrivedError && /60 s/.test(e.message));
  assert.equal(reads, 1);
});

test("an error other than not-found is not waited on", async () => {
  const live = new LiveFanout(), timer = fakeTimer();
  const boom = new Error("forbidden");
  await assert.rejects(whenArrived({ load: async () => { throw boom; }, missing, listen: live.listen, mayBeThere: () => true, timeoutMs: 60_000, timer }), boom);
  assert.equal(timer.pending, 0);
});

test("a dataset may be known after its service announces it, or after a reconnect", () => {
  assert.equal(knowsDataset("sync-svc", { type: "DatasetProjected", service: "sync-svc", dataset_id: "d" }), true);
  assert.equal(knowsDataset("sync-svc", { type: "DatasetProjected", service: "labeling-svc", dataset_id: "d" }), false);
  assert.equal(knowsDataset("sync-svc", projected("sync-svc", "s")), false);
  assert.equal(knowsDataset("sync-svc", { type: RECONNECTED }), true);
});
