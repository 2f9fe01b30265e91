// The login session, shared by every tab of the browser: one login serves them all, tokens stay short-lived.
// It lives in localStorage; a tab learns of another tab's login, refresh or logout from the `storage` event. A
// refreshed token does not end the old one (tokens are stateless, they expire), so tabs never race each other out:
// a request refused with a token another tab has since replaced is sent again with the newer one.
import type { Session } from "./api";

export const SESSION_KEY = "labelstream.session";

/** The part of the Web Storage API the store uses (localStorage in the browser, a Map in the unit tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function parse(text: string | null): Session | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    const s = value as Partial<Session> | null;
    return s && typeof s.token === "string" && typeof s.expires_at === "number" && s.user ? (s as Session) : null;
  } catch {
    return null;
  }
}

export class SessionStore {
  private session: Session | null;

  constructor(private readonly storage: KeyValueStorage, private readonly now: () => number = Date.now) {
    this.session = parse(storage.getItem(SESSION_KEY));
  }

  /** The session this tab uses, expired or not. */
  current(): Session | null { return this.session; }

  /** The session, if its token has not expired. */
  valid(): Session | null { return this.session && this.session.expires_at * 1000 > this.now() ? this.session : null; }

  /** This tab logged in, refreshed (a session) or out (null): every tab gets it. */
  keep(session: Session | null): void {
    this.session = session;
    if (session) this.storage.setItem(SESSION_KEY, JSON.stringify(session));
    else this.storage.removeItem(SESSION_KEY);
  }

  /**
   * Another tab changed the stored session (the `storage` event, `key` null when the storage was cleared). Returns
   * true when this tab was logged in and no longer is (another tab logged out).
   */
  changedElsewhere(key: string | null): boolean {
    if (key !== null && key !== SESSION_KEY) return false;
    const had = this.valid() !== null;
    this.session = parse(this.storage.getItem(SESSION_KEY));
    return had && this.session === null;
  }

  /** Takes the stored session when another tab stored a later one (a refresh whose event has not arrived yet). */
  latest(): Session | null {
    const stored = parse(this.storage.getItem(SESSION_KEY));
    if (stored && (!this.session || stored.expires_at > this.session.expires_at)) this.session = stored;
    return this.session;
  }

  /**
   * The server refused `token` (401). Returns the session to send the request again with, when another tab has
   * stored a newer one that is still valid; otherwise forgets the session (in every tab) and returns null.
   */
  refused(token: string | undefined): Session | null {
    const stored = parse(this.storage.getItem(SESSION_KEY));
    if (stored && stored.token !== token && stored.expires_at * 1000 > this.now()) {
      this.session = stored;
      return stored;
    }
    this.keep(null);
    return null;
  }
}
