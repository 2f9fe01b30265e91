// Labeling jobs: the list filtered by labeling type with "Create labeling job", and a job's details (the same tabs,
// filters, grid and actions as a dataset's page). A job's page opens on Unlabeled (segmentation seed).
import { Dataset, Job, JobDetails, LabelingType, Page, currentUser, get, post, query } from "../api";
import { dialog, formatDate, h, labelChip, toast } from "../dom";
import { describeError } from "../errors";
import { LiveFanout, changes } from "../consistency";
import { ExportsPanel } from "../components/exports";
import { debounce, openLive } from "../live";
import { PageHandle, navigate } from "../nav";
import { SampleActions } from "../components/sampleActions";
import { TYPE_NAMES } from "./datasets";
import { SampleBrowser } from "./browser";

export async function jobsPage(root: HTMLElement, _p: Record<string, string>, q: URLSearchParams): Promise<void> {
  const type = h("select", { "aria-label": "Labeling type", onchange: () => navigate(`/jobs${query({ type: type.value })}`) },
    h("option", { value: "" }, "All labeling types"),
    ...Object.entries(TYPE_NAMES).map(([v, t]) => h("option", { value: v, selected: q.get("type") === v }, t)));
  // Creating a job is the admins' (the gateway's policy): no button others could only be refused by.
  const create = currentUser()?.role === "admin"
    ? h("button", { class: "primary", "data-testid": "create-job", onclick: () => void createJob() }, "Create labeling job") : null;
  const body = h("tbody");
  const more = h("button", { hidden: true, onclick: () => load().catch((e) => toast(describeError(e, "Could not list more labeling jobs"), "error")) }, "More");
  const none = h("p", { class: "muted", hidden: true }, "No labeling job of this type.");
  root.append(h("div", { class: "pagehead" }, h("h1", {}, "Labeling jobs"), h("span", { class: "spacer" }), type, create),
    h("table", { class: "list", "data-testid": "jobs" }, h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Labeling type"), h("th", {}, "Dataset"), h("th", {}, "Created"))), body),
    more, none);
  const names = await datasetNames();
  let cursor: string | null = null;
  async function load(): Promise<void> {
    const page: Page<Job> = await get<Page<Job>>(`/api/labeling/jobs${query({ labeling_type: (q.get("type") as LabelingType) || null, limit: 200, cursor })}`);
    body.append(...page.items.map((j) => h("tr", {}, h("td", {}, h("a", { href: `#/jobs/${j.id}` }, j.name)),
      h("td", {}, TYPE_NAMES[j.labeling_type]), h("td", {}, h("a", { href: `#/datasets/${j.dataset_id}` }, names.get(j.dataset_id) ?? j.dataset_id.slice(0, 8))),
      h("td", {}, formatDate(j.created_at)))));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    none.hidden = body.children.length > 0;
  }
  await load();
}

async function datasets(): Promise<Dataset[]> {
  const all: Dataset[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Dataset> = await get<Page<Dataset>>(`/api/datasets${query({ limit: 200, cursor })}`);
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && all.length < 2000);
  return all;
}

async function datasetNames(): Promise<Map<string, string>> {
  try { return new Map((await datasets()).map((d) => [d.id, d.name])); } catch { return new Map(); }
}

/** "Create labeling job": a name and a dataset; the labeling type is the dataset's. */
async function createJob(): Promise<void> {
  let choices: Dataset[];
  try { choices = await datasets(); } catch (e) { toast(describeError(e, "Could not list the datasets"), "error"); return; }
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const dataset = h("select", { name: "dataset", "aria-label": "Dataset" },
    ...choices.map((d) => h("option", { value: d.id }, d.name)));
  const type = h("output", { name: "labeling_type", "data-testid": "job-type" });
  const showType = () => { const d = choices.find((x) => x.id === dataset.value); type.textContent = d ? TYPE_NAMES[d.labeling_type] : ""; };
  dataset.addEventListener("change", showType);
  showType();
  const error = h("p", { class: "error" }, choices.length ? "" : "Create a dataset first.");
  const form = h("div", { class: "form" }, h("label", {}, "Name", name), h("label", {}, "Dataset", dataset), h("label", {}, "Labeling type", type), error);
  for (;;) {
    const ok = await dialog("Create labeling job", form, [{ label: "Cancel", value: false }, { label: "Create", value: true, primary: true }]);
    if (!ok) return;
    if (!name.value.trim() || !dataset.value) { error.textContent = "Give the job a name and choose a dataset."; continue; }
    try {
      const job = await post<Job>("/api/labeling/jobs", { name: name.value.trim(), dataset_id: dataset.value });
      toast(`Labeling job ${job.name} created`);
      navigate(`/jobs/${job.id}`);
      return;
    } catch (e) { error.textContent = describeError(e, "Could not create the labeling job"); }
  }
}

export async function jobPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<PageHandle> {
  let details = await get<JobDetails>(`/api/labeling/jobs/${p.job}`);
  const job = details.job;
  const labels = h("div", { class: "chips" });
  const showLabels = () => labels.replaceChildren(...details.labels.map((l) => labelChip(l.name, l.color, l.samples)));
  const live = new LiveFanout();
  const actions = new SampleActions({ datasetId: job.dataset_id, jobId: job.id, live });
  const browser = new SampleBrowser({
    datasetId: job.dataset_id, path: `/jobs/${job.id}`, withCounts: true, defaultTab: "unlabeled",
    listUrl: (params) => `/api/labeling/jobs/${job.id}/samples${query(params)}`, labels: () => details.labels,
    openHref: (s, params) => `#/datasets/${job.dataset_id}/label/${s.id}${query({ ...params, job: job.id })}`, ...actions.browserHooks(),
  }, q);
  actions.attach(browser);
  const exports = new ExportsPanel(job.dataset_id);
  const exportView = () => {
    const f = browser.filters;
    const selection = { tab: browser.tab, labels: f.label, name: f.name || null, labeled_by: f.labeled_by || null, hard_example: f.hard_example ? f.hard_example === "true" : null };
    void exports.ask({ name: `${job.name} (${browser.tab})`, description: "the files this page lists, as they are now", path: `/api/datasets/${job.dataset_id}/exports`, extra: { selection } });
  };
  root.append(h("div", { class: "pagehead" }, h("a", { href: "#/jobs", class: "back" }, "Labeling jobs"), h("h1", {}, job.name),
    h("span", { class: "muted" }, TYPE_NAMES[job.labeling_type]), h("span", { class: "spacer" }),
    h("button", { "data-testid": "export-job", onclick: exportView }, "Export"), actions.el),
    labels, browser.el, exports.el);
  showLabels();
  const reload = debounce(async () => {
    try { details = await get<JobDetails>(`/api/labeling/jobs/${job.id}`); } catch { return; }
    showLabels();
    browser.refreshLabels();
    await browser.load();
  }, 1000);
  // The job's samples come from labeling-svc: reload when it says it applied a change (or changed something itself).
  openLive(job.dataset_id, (e) => { live.emit(e); browser.live(e); exports.live(e); if (changes("labeling-svc", e)) reload(); }, root);
  await Promise.all([browser.load(), exports.load()]);
  return { update: (next) => browser.apply(next), cleanup: () => exports.stop() };
}
