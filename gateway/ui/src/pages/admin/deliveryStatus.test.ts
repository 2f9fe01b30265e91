import assert from "node:assert/strict";
import { test } from "node:test";
import { inWords, lastDeliveryText, lastResult, nextAttempt, statusText } from "./deliveryStatus";

const base = { status: "pending" as const, attempts: 0, last_status_code: null, last_error: null, next_attempt_at: null };

test("statusText counts attempts and says when none was made", () => {
  assert.equal(statusText(base), "Pending (not attempted yet)");
  assert.equal(statusText({ ...base, status: "delivered", attempts: 1 }), "Delivered (1 attempt)");
  assert.equal(statusText({ ...base, status: "retrying", attempts: 3 }), "Retrying (3 attempts)");
  assert.equal(statusText({ ...base, status: "dead", attempts: 30 }), "Failed (gave up) (30 attempts)");
  assert.equal(statusText({ ...base, status: "pending", attempts: 2 }), "Pending (2 attempts)"); // redelivered
});

test("lastResult shows the status code, and an error only when it says more", () => {
  assert.equal(lastResult(base), "");
  assert.equal(lastResult({ ...base, last_status_code: 204 }), "HTTP 204");
  assert.equal(lastResult({ ...base, last_status_code: 500, last_error: "answered 500" }), "HTTP 500");
  assert.equal(lastResult({ ...base, last_error: "connection refused" }), "connection refused");
  assert.equal(lastResult({ ...base, last_status_code: 302, last_error: "a redirect is not followed" }), "HTTP 302: a redirect is not followed");
});

test("nextAttempt only for open deliveries, relative to now", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const at = (iso: string) => ({ ...base, status: "retrying" as const, next_attempt_at: iso });
  assert.equal(nextAttempt(at("2026-01-01T00:00:12Z"), now), "in 12 s");
  assert.equal(nextAttempt(at("2026-01-01T00:03:00Z"), now), "in 3 min");
  assert.equal(nextAttempt(at("2025-12-31T23:59:59Z"), now), "due now");
  assert.equal(nextAttempt({ ...at("2026-01-01T00:00:12Z"), status: "delivered" }, now), "");
  assert.equal(nextAttempt(base, now), "");
});

test("inWords", () => {
  assert.equal(inWords(400), "now");
  assert.equal(inWords(-5000), "5 s ago");
  assert.equal(inWords(2 * 3600 * 1000), "in 2 h");
});

test("lastDeliveryText sums an endpoint up from its newest delivery", () => {
  assert.equal(lastDeliveryText(undefined), "No delivery yet");
  assert.equal(lastDeliveryText({ ...base, status: "delivered", attempts: 1, last_status_code: 204 }), "Delivered, HTTP 204");
  assert.equal(lastDeliveryText({ ...base, status: "retrying", attempts: 1, last_status_code: 500, last_error: "answered 500" }), "Retrying, HTTP 500");
  assert.equal(lastDeliveryText(base), "Pending");
});
