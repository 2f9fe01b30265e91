// The sample browser of a dataset or a labeling job: tabs with counts, filters, thumbnail grid, pagination,
// selection. Its state (tab, filters, page, page size) lives in the hash's query: a change navigates (a history
// entry), and the page hands every new query back to `apply`, so reload, back/forward and shared links keep it.
import { Counts, Label, Sample, SamplePage, get, media, query } from "../api";
import { h, labelChip } from "../dom";
import { describeError } from "../errors";
import type { components as LabelingApi } from "../generated/labeling";
import type { LiveEvent } from "../live";
import { navigate } from "../nav";
import { Filters, ListState, PAGE_SIZES, Params, Tab, listKey, listParams, readListState } from "./listState";

export type { Filters, Tab } from "./listState";
export interface BrowserOptions {
  datasetId: string;
  /** The page's route without query, e.g. `/jobs/j1`. */
  path: string;
  listUrl: (params: Params) => string;
  withCounts?: boolean;
  labels: () => Label[];
  /** Query params of the labeling page (tab and job are added by the browser, with `from`). */
  openHref: (s: Sample, params: Record<string, string>) => string;
  defaultTab: Tab;
  /** Selection ticks (only where selecting leads to an action). */
  selectable?: boolean;
  onSelection?: (ids: Set<string>) => void;
  /** An × on labeled files' cards: delete the file's labels. */
  onDeleteLabels?: (s: Sample) => void;
}

type Labeler = LabelingApi["schemas"]["Labeler"];

export class SampleBrowser {
  readonly el = h("div", { class: "browser" });
  readonly selected = new Set<string>();
  items: Sample[] = [];
  tab: Tab;
  filters: Filters = { hard_example: "", label: [], name: "", labeled_by: "" };
  pageSize = 50;
  private pageIndex = 0;
  private cursors = new Map<number, string | null>([[0, null]]);
  private listKey = "";
  private loads = 0;
  private next: string | null = null;
  private counts: Counts | null = null;
  private labelers: Labeler[] = [];
  /** Samples whose media was processed (ready or failed) since their listing said pending. */
  private processed = new Map<string, boolean>();
  private tabs = h("div", { class: "tabs", role: "tablist" });
  private grid = h("div", { class: "grid", "data-testid": "grid" });
  private pager = h("div", { class: "pager", "data-testid": "pager" });
  private filterBar = h("div", { class: "filters" });
  private error = h("p", { class: "error", role: "alert" });
  lastRenderMs = 0;

  constructor(private o: BrowserOptions, q: URLSearchParams) {
    this.tab = o.defaultTab;
    this.el.append(this.tabs, this.filterBar, this.error, this.grid, this.pager);
    this.read(q);
    this.renderFilters();
    void this.loadLabelers();
  }

  /** The browser's state, changed by `change`, as query params. */
  private params(change: Partial<ListState> = {}): Params {
    const page = change.page ?? this.pageIndex;
    return listParams({
      tab: change.tab ?? this.tab, filters: change.filters ?? this.filters, pageSize: change.pageSize ?? this.pageSize,
      page, cursor: change.cursor !== undefined ? change.cursor : this.cursors.get(page) ?? null,
    });
  }

  /** Navigate to a new state: from page 1 unless a page is given. */
  private go(change: Partial<ListState>): void {
    navigate(`${this.o.path}${query(this.params({ page: 0, ...change }))}`);
  }

  /** The list page's hash (without '#'): where the labeling page returns to. */
  hash(): string { return `${this.o.path}${query(this.params())}`; }

  private read(q: URLSearchParams): void {
    const state = readListState(q, this.o.defaultTab);
    ({ tab: this.tab, filters: this.filters, pageSize: this.pageSize, page: this.pageIndex } = state);
    const key = listKey(state);
    if (key !== this.listKey) { this.cursors = new Map([[0, null]]); this.listKey = key; }
    if (state.page) this.cursors.set(state.page, state.cursor);
  }

  /** Take the state of a new query (navigation, back/forward) and show it. */
  async apply(q: URLSearchParams): Promise<void> {
    const before = this.pageIndex;
    const listBefore = this.listKey;
    this.read(q);
    // the selection is of files on screen: another page, tab or filter starts a new one
    if (this.listKey !== listBefore || this.pageIndex !== before) { this.selected.clear(); this.o.onSelection?.(this.selected); }
    this.renderFilters();
    await this.load();
    if (this.pageIndex !== before) { this.grid.scrollTop = 0; window.scrollTo(0, 0); }
  }

  private async loadLabelers(): Promise<void> {
    try {
      this.labelers = (await get<LabelingApi["schemas"]["LabelerList"]>(`/api/labeling/datasets/${this.o.datasetId}/labelers`)).items;
    } catch { this.labelers = []; }
    this.renderFilters();
  }

  private renderFilters(): void {
    const f = this.filters;
    const hard = h("select", { "aria-label": "Example type", onchange: () => this.go({ filters: { ...f, hard_example: hard.value } }) },
      ...[["", "All examples"], ["true", "Hard example"], ["false", "Non-hard example"]].map(([v, t]) => h("option", { value: v, selected: f.hard_example === v }, t)));
    const name = h("input", { type: "search", placeholder: "File name or path", "aria-label": "File name or path", value: f.name,
      onchange: () => this.go({ filters: { ...f, name: name.value.trim() } }) });
    const names = new Set(this.labelers.map((l) => l.username));
    const by = h("select", { "aria-label": "Labeled by", "data-testid": "labeled-by", onchange: () => this.go({ filters: { ...f, labeled_by: by.value } }) },
      h("option", { value: "" }, "Labeled by anyone"),
      ...this.labelers.map((l) => h("option", { value: l.username, selected: f.labeled_by === l.username }, `${l.username} (${l.samples})`)),
      f.labeled_by && !names.has(f.labeled_by) ? h("option", { value: f.labeled_by, selected: true }, f.labeled_by) : null);
    const size = h("select", { "aria-label": "Page size", onchange: () => this.go({ pageSize: Number(size.value) }) },
      ...PAGE_SIZES.map((n) => h("option", { value: n, selected: n === this.pageSize }, `${n} / page`)));
    this.filterBar.replaceChildren(h("span", { class: "muted" }, "Filter:"), hard, this.labelFilter(), name, by, h("span", { class: "spacer" }), size);
  }

  /** Several labels: a drop-down of ticks; samples with any of them are listed. */
  private labelFilter(): HTMLElement {
    const chosen = new Set(this.filters.label);
    const known = this.o.labels().map((l) => l.name);
    const all = [...known, ...[...chosen].filter((n) => !known.includes(n))];
    const box = h("details", { class: "multi", "data-testid": "label-filter" },
      h("summary", { "aria-label": "Label" }, chosen.size ? `Labels: ${[...chosen].join(", ")}` : "All labels"),
      h("div", { class: "menu" }, ...all.map((n) => {
        const tick = h("input", { type: "checkbox", value: n, checked: chosen.has(n), onchange: () => {
          if (tick.checked) chosen.add(n); else chosen.delete(n);
          this.go({ filters: { ...this.filters, label: all.filter((x) => chosen.has(x)) } });
        } });
        return h("label", { class: "check" }, tick, n);
      }), all.length ? null : h("span", { class: "muted" }, "No label yet")));
    return box;
  }

  refreshLabels(): void { this.renderFilters(); void this.loadLabelers(); }

  /** The list API's URL for one page of the current tab and filters. */
  private listUrl(cursor: string | null, withCounts: boolean): string {
    const f = this.filters;
    return this.o.listUrl({
      tab: this.tab, hard_example: f.hard_example || null, label: f.label, name: f.name || null,
      labeled_by: f.labeled_by || null, limit: this.pageSize, cursor, with_counts: withCounts || null,
    });
  }

  async load(): Promise<void> {
    const seq = ++this.loads;
    let page: SamplePage;
    try { page = await get<SamplePage>(this.listUrl(this.cursors.get(this.pageIndex) ?? null, !!this.o.withCounts)); }
    catch (e) { if (seq === this.loads) this.error.textContent = describeError(e, "Could not list the files"); return; }
    if (seq !== this.loads) return;  // a later state's listing is on its way: this answer is stale
    this.error.textContent = "";
    const started = performance.now();
    this.items = page.items;
    this.next = page.next_cursor;
    this.counts = page.counts;
    this.renderTabs();
    this.renderGrid();
    this.renderPager();
    this.lastRenderMs = performance.now() - started;
    this.el.dataset.renderMs = this.lastRenderMs.toFixed(1);
  }

  private renderTabs(): void {
    const counts = this.counts;
    const tab = (t: Tab, title: string) => h("button", {
      role: "tab", class: t === this.tab ? "active" : "", "aria-selected": String(t === this.tab), "data-tab": t,
      onclick: () => { if (t !== this.tab) this.go({ tab: t }); else void this.load(); },  // the current tab: look again
    }, title, counts ? h("span", { class: "count", "data-count": t }, counts[t]) : null);
    this.tabs.replaceChildren(tab("all", "All statuses"), tab("unlabeled", "Unlabeled"), tab("labeled", "Labeled"));
  }

  /** "ready", "pending" or "failed": no thumbnail is asked for before it exists (no 404s). */
  private mediaState(s: Sample): string {
    const known = this.processed.get(s.id);
    if (known !== undefined) return known ? "ready" : "failed";
    return s.media_status ?? (s.media ? "ready" : "pending");
  }

  private thumb(s: Sample): HTMLElement {
    const state = this.mediaState(s);
    if (state === "pending") return h("span", { class: "pending", "data-pending": s.id }, "Processing…");
    if (state === "failed") return h("span", { class: "pending", "data-media-failed": s.id }, "No preview");
    return h("img", { src: media.thumbnail(this.o.datasetId, s.id), loading: "lazy", decoding: "async", alt: s.file_name, width: 160, height: 120,
      onerror: (e: Event) => (e.target as HTMLElement).parentElement?.classList.add("no-preview") });
  }

  /** A live event: MediaProcessed fills in the placeholder (with the thumbnail, or "No preview"). */
  live(e: LiveEvent): void {
    if (e.type !== "MediaProcessed" || !e.sample_id) return;
    const sampleId = e.sample_id;
    this.processed.set(sampleId, e.status !== "failed");
    const s = this.items.find((x) => x.id === sampleId);
    const placeholder = this.grid.querySelector(`[data-pending="${CSS.escape(sampleId)}"]`);
    if (s && placeholder) placeholder.replaceWith(this.thumb(s));
  }

  private renderGrid(): void {
    const colors = new Map(this.o.labels().map((l) => [l.name, l.color]));
    const from = this.hash();
    const frag = document.createDocumentFragment();
    for (const s of this.items) {
      const tick = this.o.selectable ? h("input", { type: "checkbox", class: "tick", "aria-label": `Select ${s.file_name}`, checked: this.selected.has(s.id),
        onchange: () => { if (tick!.checked) this.selected.add(s.id); else this.selected.delete(s.id); card.classList.toggle("selected", tick!.checked); this.o.onSelection?.(this.selected); } }) : null;
      const labeled = s.status === "labeled" || Object.keys(s.label_counts).length > 0;
      const unlabel = this.o.onDeleteLabels && this.tab === "labeled" && labeled
        ? h("button", { class: "unlabel", title: "Delete the labels of this file", "aria-label": `Delete the labels of ${s.file_name}`, "data-testid": "delete-labels",
          onclick: () => this.o.onDeleteLabels!(s) }, "×") : null;
      const card = h("div", { class: `card sample${this.selected.has(s.id) ? " selected" : ""}`, "data-sample": s.id, "data-name": s.file_name },
        tick, unlabel,
        h("a", { href: this.o.openHref(s, { tab: this.tab, from }), class: "thumb" }, this.thumb(s),
          s.media_kind === "video" ? h("span", { class: "kind" }, "▶ video") : null),
        h("div", { class: "name", title: s.key }, s.file_name),
        h("div", { class: "chips" }, ...Object.entries(s.label_counts).map(([n, c]) => labelChip(n, colors.get(n) || "#888", c)),
          s.hard_example ? h("span", { class: "badge" }, "hard") : null));
      frag.append(card);
    }
    if (!this.items.length) frag.append(h("p", { class: "muted empty" }, "No data here."));
    this.grid.replaceChildren(frag);
  }

  private renderPager(): void {
    const total = this.counts ? this.counts[this.tab] : null;
    const pages = total !== null ? Math.max(1, Math.ceil(total / this.pageSize)) : null;
    this.pager.replaceChildren(
      h("button", { disabled: this.pageIndex === 0, "data-testid": "previous-page", onclick: () => void this.previous() }, "‹ Previous"),
      h("span", { class: "muted", "data-testid": "page-of" }, pages !== null ? `Page ${this.pageIndex + 1} of ${pages} · ${total} file(s)` : `Page ${this.pageIndex + 1}`),
      h("button", { disabled: !this.next, "data-testid": "next-page", onclick: () => {
        this.cursors.set(this.pageIndex + 1, this.next);
        navigate(`${this.o.path}${query(this.params({ page: this.pageIndex + 1, cursor: this.next }))}`);
      } }, "Next ›"));
  }

  /** The previous page's cursor is known unless the page was opened from a link: then walk from the start. */
  private async previous(): Promise<void> {
    const target = this.pageIndex - 1;
    if (!this.cursors.has(target)) {
      let cursor: string | null = null;
      for (let i = 0; i < target; i++) {
        cursor = (await get<SamplePage>(this.listUrl(cursor, false))).next_cursor;
        this.cursors.set(i + 1, cursor);
      }
    }
    navigate(`${this.o.path}${query(this.params({ page: target, cursor: this.cursors.get(target) ?? null }))}`);
  }

  /** Files deleted (or moved to another tab) here: gone from the grid at once; the listing follows by events. */
  drop(ids: string[]): void {
    const gone = new Set(ids);
    this.items = this.items.filter((s) => !gone.has(s.id));
    for (const id of ids) this.selected.delete(id);
    this.renderGrid();
  }

  selectPage(): void {
    const all = this.items.every((s) => this.selected.has(s.id));
    for (const s of this.items) { if (all) this.selected.delete(s.id); else this.selected.add(s.id); }
    this.renderGrid();
    this.o.onSelection?.(this.selected);
  }
}

export const datasetListUrl = (id: string) => (p: Params) => `/api/datasets/${id}/samples${query(p)}`;
