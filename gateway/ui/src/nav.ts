// Navigation between pages, and the guard a page sets against leaving with unsaved changes.
let leaveGuard: (() => Promise<boolean>) | null = null;
export function setLeaveGuard(guard: (() => Promise<boolean>) | null): void { leaveGuard = guard; }
export function takeLeaveGuard(): (() => Promise<boolean>) | null { const g = leaveGuard; leaveGuard = null; return g; }
export function navigate(hash: string): void { location.hash = hash; }

/** What a page may hand back to the router: a cleanup, and `update` to take a new query of the same route (its
 * state kept in the URL changed: a click, back/forward) without being built again. */
export interface PageHandle { cleanup?: () => void; update?: (q: URLSearchParams) => Promise<void> | void }
