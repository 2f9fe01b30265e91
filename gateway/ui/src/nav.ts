// Navigation between pages, and the guard a page sets against leaving with unsaved changes.
let leaveGuard: (() => Promise<boolean>) | null = null;
export function setLeaveGuard(guard: (() => Promise<boolean>) | null): void { leaveGuard = guard; }
export function takeLeaveGuard(): (() => Promise<boolean>) | null { const g = leaveGuard; leaveGuard = null; return g; }
export function navigate(hash: string): void { location.hash = hash; }
