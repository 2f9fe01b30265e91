// The state of a sample list (tab, filters, page size, page and its cursor) as it lives in the URL's hash query.
// Pure: no DOM, no requests (unit-tested in listState.test.ts).

export type Tab = "all" | "unlabeled" | "labeled";
export interface Filters { hard_example: string; label: string[]; name: string; labeled_by: string }
export interface ListState { tab: Tab; filters: Filters; pageSize: number; page: number; cursor: string | null }
export type Params = Record<string, string | number | boolean | string[] | null>;

export const PAGE_SIZES = [20, 50, 100];
const DEFAULT_SIZE = 50;
const TABS: Tab[] = ["all", "unlabeled", "labeled"];

/** Read a query; what is missing or unknown takes its default. A page past the first needs its cursor. */
export function readListState(q: URLSearchParams, defaultTab: Tab): ListState {
  const tab = TABS.find((t) => t === q.get("tab")) ?? defaultTab;
  const filters = { hard_example: q.get("hard") || "", label: q.getAll("label"), name: q.get("name") || "", labeled_by: q.get("labeled_by") || "" };
  const size = Number(q.get("size"));
  const cursor = q.get("cursor");
  const page = Math.max(0, Math.floor(Number(q.get("page")) || 1) - 1);
  return { tab, filters, pageSize: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE, page: page && cursor ? page : 0, cursor: page && cursor ? cursor : null };
}

/** The query of a state (for `query()`): defaults left out, the tab always in, the page 1-based. */
export function listParams(s: ListState): Params {
  const f = s.filters;
  return {
    tab: s.tab, label: f.label, labeled_by: f.labeled_by || null, name: f.name || null, hard: f.hard_example || null,
    size: s.pageSize === DEFAULT_SIZE ? null : s.pageSize, page: s.page ? s.page + 1 : null, cursor: s.page ? s.cursor : null,
  };
}

/** What makes two states the same list (their pages aside). */
export function listKey(s: ListState): string {
  return JSON.stringify([s.tab, s.filters, s.pageSize]);
}
