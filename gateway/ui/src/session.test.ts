import assert from "node:assert/strict";
import { test } from "node:test";
import type { Session } from "./api";
import { type KeyValueStorage, SESSION_KEY, SessionStore } from "./session";

// One browser: every tab's store shares this storage (localStorage), as tabs of one origin do.
class SharedStorage implements KeyValueStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null { return this.items.get(key) ?? null; }
  setItem(key: string, value: string): void { this.items.set(key, value); }
  removeItem(key: string): void { this.items.delete(key); }
}

const NOW_S = 1_000_000;
const now = (): number => NOW_S * 1000;
const session = (token: string, expiresInS = 900): Session =>
  ({ token, token_type: "bearer", expires_at: NOW_S + expiresInS, user: { username: "ann", role: "annotator", disabled: false } });

test("a login in one tab serves a tab opened later and one already open", () => {
  const storage = new SharedStorage();
  const open = new SessionStore(storage, now);
  const a = new SessionStore(storage, now);
  a.keep(session("t1"));
  assert.equal(new SessionStore(storage, now).valid()?.token, "t1");
  assert.equal(open.changedElsewhere(SESSION_KEY), false);
  assert.equal(open.valid()?.token, "t1");
});

test("another tab's refresh is taken, not repeated, and does not log this tab out", () => {
  const storage = new SharedStorage();
  const a = new SessionStore(storage, now);
  a.keep(session("t1", 60));
  const b = new SessionStore(storage, now);
  a.keep(session("t2"));
  // before b's storage event arrives: its next request with t1 is refused, b goes on with t2
  assert.equal(b.refused("t1")?.token, "t2");
  assert.equal(storage.getItem(SESSION_KEY) !== null, true);
  // a tab that has not seen the event yet takes the later session instead of refreshing again
  const c = new SessionStore(storage, now);
  a.keep(session("t3", 1200));
  assert.equal(c.latest()?.token, "t3");
});

test("a logout in one tab logs out the others", () => {
  const storage = new SharedStorage();
  const a = new SessionStore(storage, now);
  a.keep(session("t1"));
  const b = new SessionStore(storage, now);
  a.keep(null);
  assert.equal(b.changedElsewhere(SESSION_KEY), true);
  assert.equal(b.valid(), null);
  assert.equal(b.changedElsewhere("something.else"), false);
});

test("a refused token that nobody replaced ends the session in every tab", () => {
  const storage = new SharedStorage();
  const a = new SessionStore(storage, now);
  a.keep(session("t1"));
  assert.equal(a.refused("t1"), null);
  assert.equal(storage.getItem(SESSION_KEY), null);
  assert.equal(new SessionStore(storage, now).current(), null);
});

test("expired or unreadable stored sessions are not used", () => {
  const storage = new SharedStorage();
  storage.setItem(SESSION_KEY, JSON.stringify(session("old", -10)));
  const a = new SessionStore(storage, now);
  assert.equal(a.valid(), null);
  assert.equal(a.refused(undefined), null);
  storage.setItem(SESSION_KEY, "{not json");
  assert.equal(new SessionStore(storage, now).current(), null);
});
