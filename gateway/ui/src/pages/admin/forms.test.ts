import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../api";
import { checkNewUser, checkPassword, checkWebhook, hasProblems, refusal } from "./forms";

test("a new user needs a name and a password typed twice alike", () => {
  assert.deepEqual(checkNewUser("", "pass", "pass").fields, { username: "Give the user a name." });
  assert.deepEqual(checkNewUser("ann", "abc", "abc").fields, { password: "At least 4 characters." });
  assert.deepEqual(checkNewUser("ann", "abcd", "abce").fields, { password: "The two passwords differ." });
  assert.equal(hasProblems(checkNewUser("ann", "abcd", "abcd")), false);
  assert.equal(hasProblems(checkPassword("secret", "secret")), false);
});

test("a webhook needs an http(s) URL with a host, an event type, and a long enough secret if one is given", () => {
  const ok = { url: "https://example.com/hook", eventTypes: ["LabelChanged"], secret: "" };
  assert.equal(hasProblems(checkWebhook(ok)), false);
  assert.equal(checkWebhook({ ...ok, url: "" }).fields.url, "Give the URL the events are sent to.");
  assert.equal(checkWebhook({ ...ok, url: "ftp://example.com/" }).fields.url, "An http:// or https:// URL with a host.");
  assert.equal(checkWebhook({ ...ok, url: "example.com/hook" }).fields.url, "An http:// or https:// URL with a host.");
  assert.equal(checkWebhook({ ...ok, url: "https://u:p@example.com/" }).fields.url, "No user name or password in the URL.");
  assert.equal(checkWebhook({ ...ok, eventTypes: [] }).fields.event_types, "Choose at least one event type.");
  assert.match(checkWebhook({ ...ok, secret: "short" }).fields.secret ?? "", /At least 16 characters/);
  assert.equal(hasProblems(checkWebhook({ ...ok, secret: "0123456789abcdef" })), false);
});

test("a refusal naming its field goes next to that field", () => {
  const loopback = new ApiError(422, { error: "invalid", message: "url: 127.0.0.1 is a loopback address (refused unless private targets are allowed)", details: [{ field: "url", problem: "127.0.0.1 is a loopback address (refused unless private targets are allowed)" }] });
  assert.deepEqual(refusal(loopback, "Could not register", ["url", "event_types"]), {
    fields: { url: "127.0.0.1 is a loopback address (refused unless private targets are allowed)" }, general: null,
  });
  const taken = new ApiError(409, { error: "conflict", message: "username: 'ann' is taken" });
  assert.deepEqual(refusal(taken, "Could not create", ["username", "password"]).fields, { username: "'ann' is taken" });
  const weak = new ApiError(422, { error: "invalid", message: "body.password: String should have at least 4 characters", details: [{ field: "body.password", problem: "String should have at least 4 characters" }] });
  assert.deepEqual(refusal(weak, "Could not create", ["username", "password"]).fields, { password: "String should have at least 4 characters" });
});

test("a refusal about no field of the form, or no refusal at all, is said for the whole form", () => {
  const self = new ApiError(409, { error: "conflict", message: "an admin cannot delete themself" });
  assert.deepEqual(refusal(self, "Could not delete ann", ["username"]), { fields: {}, general: "Could not delete ann: an admin cannot delete themself" });
  const other = new ApiError(422, { error: "invalid", message: "description: too long", details: [{ field: "body.description", problem: "too long" }] });
  assert.equal(refusal(other, "Could not save", ["url"]).general, "Could not save: description: too long");
  assert.equal(refusal(new ApiError(403, {}), "Could not save", ["url"]).general, "Could not save: your role does not allow this.");
  assert.equal(refusal(new TypeError("fetch failed"), "Could not save", ["url"]).general, "Could not save: the server cannot be reached (network or gateway down).");
});
