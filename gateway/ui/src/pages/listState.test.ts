import assert from "node:assert/strict";
import { test } from "node:test";
import { query } from "../api";
import { ListState, listKey, listParams, readListState } from "./listState";

const read = (s: string, tab: "all" | "unlabeled" = "all") => readListState(new URLSearchParams(s), tab);

test("an empty query is the page's default tab, page 1, 50 a page, no filter", () => {
  assert.deepEqual(read("", "unlabeled"), {
    tab: "unlabeled", filters: { hard_example: "", label: [], name: "", labeled_by: "" }, pageSize: 50, page: 0, cursor: null,
  });
});

test("a state survives the URL: write, read back, same state", () => {
  const state: ListState = {
    tab: "labeled", filters: { hard_example: "true", label: ["cat", "dog & co"], name: "pets/", labeled_by: "amy" },
    pageSize: 20, page: 2, cursor: "abc/+=",
  };
  const q = query(listParams(state));
  assert.equal(q, "?tab=labeled&label=cat&label=dog+%26+co&labeled_by=amy&name=pets%2F&hard=true&size=20&page=3&cursor=abc%2F%2B%3D");
  assert.deepEqual(read(q.slice(1)), state);
});

test("defaults stay out of the URL, the tab does not", () => {
  assert.equal(query(listParams(read("tab=all"))), "?tab=all");
  assert.equal(query(listParams(read("", "unlabeled"))), "?tab=unlabeled");
});

test("what is unknown or incomplete takes its default", () => {
  assert.equal(read("tab=nope", "unlabeled").tab, "unlabeled");
  assert.equal(read("size=7").pageSize, 50);
  assert.deepEqual([read("page=3").page, read("page=3").cursor], [0, null]);  // a page without its cursor: page 1
  assert.deepEqual([read("page=x&cursor=c").page, read("page=-4&cursor=c").page], [0, 0]);
});

test("the list's key ignores the page, not the filters", () => {
  assert.equal(listKey(read("tab=labeled&page=2&cursor=c")), listKey(read("tab=labeled")));
  assert.notEqual(listKey(read("tab=labeled&label=a")), listKey(read("tab=labeled&label=b")));
  assert.notEqual(listKey(read("tab=labeled&label=a&label=b")), listKey(read("tab=labeled&label=b&label=a")));
});
