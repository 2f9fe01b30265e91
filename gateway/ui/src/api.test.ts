import assert from "node:assert/strict";
import { test } from "node:test";
import { annotationPath, media, query } from "./api";

test("query leaves out empty values and repeats arrays", () => {
  assert.equal(query({ tab: "labeled", name: "", cursor: null, label: undefined, limit: 50, hard: false }), "?tab=labeled&limit=50&hard=false");
  assert.equal(query({ label: ["cat", "dog"] }), "?label=cat&label=dog");
  assert.equal(query({}), "");
  assert.equal(query({ cursor: null }), "");
});

test("query encodes what it carries", () => {
  assert.equal(query({ name: "a b&c=d/é" }), "?name=a+b%26c%3Dd%2F%C3%A9");
  assert.equal(new URLSearchParams(query({ name: "a b&c" }).slice(1)).get("name"), "a b&c");
});

test("media and annotation paths", () => {
  assert.equal(media.frame("d1", "s1", 1.5), "/api/media/datasets/d1/samples/s1/frame?t=1.5");
  assert.equal(annotationPath("d1", "s1"), "/api/labeling/datasets/d1/samples/s1/annotation");
});
