// The sample browser of a dataset or a labeling job: tabs with counts, filters, thumbnail grid, pagination,
// selection. The dataset page adds sync, add data and delete around it.
import { Counts, Label, Sample, SamplePage, get, media, query } from "../api";
import { h, labelChip } from "../dom";

export type Tab = "all" | "unlabeled" | "labeled";
export interface Filters { hard_example: string; label: string[]; name: string; labeled_by: string }
export interface BrowserOptions {
  datasetId: string;
  listUrl: (params: Record<string, string | number | boolean | string[] | null>) => string;
  withCounts?: boolean;
  labels: () => Label[];
  openHref: (s: Sample) => string;
  defaultTab: Tab;
  onSelection?: (ids: Set<string>) => void;
}

export class SampleBrowser {
  readonly el = h("div", { class: "browser" });
  readonly selected = new Set<string>();
  items: Sample[] = [];
  tab: Tab;
  filters: Filters = { hard_example: "", label: [], name: "", labeled_by: "" };
  pageSize = 50;
  private cursors: (string | null)[] = [null];
  private pageIndex = 0;
  private next: string | null = null;
  private tabs = h("div", { class: "tabs", role: "tablist" });
  private grid = h("div", { class: "grid", "data-testid": "grid" });
  private pager = h("div", { class: "pager" });
  private filterBar = h("div", { class: "filters" });
  lastRenderMs = 0;

  constructor(private o: BrowserOptions) {
    this.tab = o.defaultTab;
    this.el.append(this.tabs, this.filterBar, this.grid, this.pager);
    this.renderFilters();
  }

  private renderFilters(): void {
    const hard = h("select", { "aria-label": "Example type", onchange: () => { this.filters.hard_example = hard.value; this.reset(); } },
      h("option", { value: "" }, "All examples"), h("option", { value: "true" }, "Hard example"), h("option", { value: "false" }, "Non-hard example"));
    const label = h("select", { "aria-label": "Label", onchange: () => { this.filters.label = label.value ? [label.value] : []; this.reset(); } },
      h("option", { value: "" }, "All labels"), ...this.o.labels().map((l) => h("option", { value: l.name }, l.name)));
    const name = h("input", { type: "search", placeholder: "File name or path", "aria-label": "File name or path" });
    const by = h("input", { type: "search", placeholder: "Labeled by", "aria-label": "Labeled by" });
    const apply = () => { this.filters.name = name.value.trim(); this.filters.labeled_by = by.value.trim(); this.reset(); };
    name.addEventListener("change", apply);
    by.addEventListener("change", apply);
    const size = h("select", { "aria-label": "Page size", onchange: () => { this.pageSize = Number(size.value); this.reset(); } },
      ...[20, 50, 100].map((n) => h("option", { value: n, selected: n === this.pageSize }, `${n} / page`)));
    this.filterBar.replaceChildren(h("span", { class: "muted" }, "Filter:"), hard, label, name, by, h("span", { class: "spacer" }), size);
  }

  refreshLabels(): void { this.renderFilters(); }

  reset(): void { this.cursors = [null]; this.pageIndex = 0; void this.load(); }

  async load(): Promise<void> {
    const f = this.filters;
    const url = this.o.listUrl({
      tab: this.tab, hard_example: f.hard_example || null, label: f.label, name: f.name || null,
      labeled_by: f.labeled_by || null, limit: this.pageSize, cursor: this.cursors[this.pageIndex],
      with_counts: this.o.withCounts ? true : null,
    });
    const page = await get<SamplePage>(url);
    const started = performance.now();
    this.items = page.items;
    this.next = page.next_cursor;
    this.renderTabs(page.counts);
    this.renderGrid();
    this.renderPager();
    this.lastRenderMs = performance.now() - started;
    this.el.dataset.renderMs = this.lastRenderMs.toFixed(1);
  }

  private renderTabs(counts: Counts | null): void {
    const tab = (t: Tab, title: string) => h("button", {
      role: "tab", class: t === this.tab ? "active" : "", "aria-selected": String(t === this.tab), "data-tab": t,
      onclick: () => { this.tab = t; this.selected.clear(); this.o.onSelection?.(this.selected); this.reset(); },
    }, title, counts ? h("span", { class: "count", "data-count": t }, counts[t]) : null);
    this.tabs.replaceChildren(tab("all", "All statuses"), tab("unlabeled", "Unlabeled"), tab("labeled", "Labeled"));
  }

  private renderGrid(): void {
    const colors = new Map(this.o.labels().map((l) => [l.name, l.color]));
    const frag = document.createDocumentFragment();
    for (const s of this.items) {
      const tick = h("input", { type: "checkbox", class: "tick", "aria-label": `Select ${s.file_name}`, checked: this.selected.has(s.id),
        onchange: () => { if (tick.checked) this.selected.add(s.id); else this.selected.delete(s.id); card.classList.toggle("selected", tick.checked); this.o.onSelection?.(this.selected); } });
      const card = h("div", { class: `card sample${this.selected.has(s.id) ? " selected" : ""}`, "data-sample": s.id, "data-name": s.file_name },
        tick,
        h("a", { href: this.o.openHref(s), class: "thumb" },
          h("img", { src: media.thumbnail(this.o.datasetId, s.id), loading: "lazy", decoding: "async", alt: s.file_name, width: 160, height: 120,
            onerror: (e: Event) => (e.target as HTMLElement).parentElement?.classList.add("no-preview") }),
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
    this.pager.replaceChildren(
      h("button", { disabled: this.pageIndex === 0, onclick: () => { this.pageIndex--; void this.load(); } }, "‹ Previous"),
      h("span", { class: "muted" }, `Page ${this.pageIndex + 1}`),
      h("button", { disabled: !this.next, "data-testid": "next-page", onclick: () => { this.cursors[this.pageIndex + 1] = this.next; this.pageIndex++; void this.load(); } }, "Next ›"));
  }

  selectPage(): void {
    const all = this.items.every((s) => this.selected.has(s.id));
    for (const s of this.items) { if (all) this.selected.delete(s.id); else this.selected.add(s.id); }
    this.renderGrid();
    this.o.onSelection?.(this.selected);
  }
}

export const datasetListUrl = (id: string) => (p: Record<string, string | number | boolean | string[] | null>) =>
  `/api/datasets/${id}/samples${query(p)}`;
