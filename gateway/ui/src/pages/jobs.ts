// Labeling jobs: the list filtered by labeling type, and a job's details (the same tabs, filters and grid).
import { Job, JobDetails, LabelingType, Page, currentUser, get, post, query } from "../api";
import { formatDate, h, labelChip, toast } from "../dom";
import { debounce, openLive } from "../live";
import { TYPE_NAMES } from "./datasets";
import { SampleBrowser, Tab } from "./browser";

export async function jobsPage(root: HTMLElement, _p: Record<string, string>, q: URLSearchParams): Promise<void> {
  const type = h("select", { "aria-label": "Labeling type", onchange: () => { location.hash = `/jobs${query({ type: type.value })}`; } },
    h("option", { value: "" }, "All labeling types"),
    ...Object.entries(TYPE_NAMES).map(([v, t]) => h("option", { value: v, selected: q.get("type") === v }, t)));
  const body = h("tbody");
  root.append(h("div", { class: "pagehead" }, h("h1", {}, "Labeling jobs"), h("span", { class: "spacer" }), type),
    h("table", { class: "list", "data-testid": "jobs" }, h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Labeling type"), h("th", {}, "Dataset"), h("th", {}, "Created"))), body));
  const page = await get<Page<Job>>(`/api/labeling/jobs${query({ labeling_type: (q.get("type") as LabelingType) || null, limit: 200 })}`);
  body.replaceChildren(...page.items.map((j) => h("tr", {}, h("td", {}, h("a", { href: `#/jobs/${j.id}` }, j.name)),
    h("td", {}, TYPE_NAMES[j.labeling_type]), h("td", {}, h("a", { href: `#/datasets/${j.dataset_id}` }, j.dataset_id.slice(0, 8))), h("td", {}, formatDate(j.created_at)))));
  if (!page.items.length) root.append(h("p", { class: "muted" }, "No labeling job of this type."));
}

export async function jobPage(root: HTMLElement, p: Record<string, string>): Promise<void> {
  let details = await get<JobDetails>(`/api/labeling/jobs/${p.job}`);
  const job = details.job;
  const labels = h("div", { class: "chips" });
  const showLabels = () => labels.replaceChildren(...details.labels.map((l) => labelChip(l.name, l.color, l.samples)));
  const browser = new SampleBrowser({
    datasetId: job.dataset_id, withCounts: true, defaultTab: "unlabeled" as Tab,
    listUrl: (params) => `/api/labeling/jobs/${job.id}/samples${query(params)}`,
    labels: () => details.labels, openHref: (s) => `#/datasets/${job.dataset_id}/label/${s.id}?job=${job.id}`,
  });
  const writer = currentUser()?.role !== "viewer";
  root.append(h("div", { class: "pagehead" }, h("a", { href: "#/jobs", class: "back" }, "Labeling jobs"), h("h1", {}, job.name),
    h("span", { class: "muted" }, TYPE_NAMES[job.labeling_type]), h("span", { class: "spacer" }),
    writer ? h("button", { onclick: async () => { const r = await post<{ new_samples: number }>(`/api/labeling/jobs/${job.id}/synchronize`); toast(`${r.new_samples} new sample(s)`); await browser.load(); } }, "Synchronize new data") : null),
    labels, browser.el);
  showLabels();
  openLive(job.dataset_id, debounce(async () => { details = await get<JobDetails>(`/api/labeling/jobs/${job.id}`); showLabels(); await browser.load(); }, 1000));
  await browser.load();
}
