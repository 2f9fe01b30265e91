// Dataset details: the sample browser with the actions around it (synchronize the data source, add data and its
// history, delete files, delete a file's labels). Opens on All statuses (video seed).
import { Dataset, Label, get, labelSetOf, query } from "../api";
import { LiveFanout, changes, knowsDataset } from "../consistency";
import { h } from "../dom";
import { debounce, openLive } from "../live";
import type { PageHandle } from "../nav";
import { SampleActions } from "../components/sampleActions";
import { SampleBrowser, datasetListUrl } from "./browser";

export async function samplesPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<PageHandle> {
  const id = p.dataset;
  const dataset = await get<Dataset>(`/api/datasets/${id}`);
  let labelSet = await labelSetOf(id);
  const labels = (): Label[] => labelSet;
  const live = new LiveFanout();
  const actions = new SampleActions({ datasetId: id, live });
  const browser = new SampleBrowser({
    datasetId: id, path: `/datasets/${id}/samples`, listUrl: datasetListUrl(id), labels, defaultTab: "all",
    openHref: (s, params) => `#/datasets/${id}/label/${s.id}${query(params)}`, ...actions.browserHooks(),
  }, q);
  actions.attach(browser);
  root.append(
    h("div", { class: "pagehead" },
      h("a", { href: `#/datasets/${id}`, class: "back" }, "Dashboard"), h("h1", {}, dataset.name), h("span", { class: "spacer" }), actions.el),
    browser.el);

  // The counts and statuses come from dataset-svc, which applies the other services' events a moment later (more
  // when it is busy) and announces what it applied: the page reloads once that announcement comes, not when the
  // event does (selection is kept). A burst of announcements is one reload.
  const reload = debounce(async () => {
    labelSet = await labelSetOf(id);
    browser.refreshLabels();
    await browser.load();
  }, 300);
  openLive(id, (e) => {
    live.emit(e);
    browser.live(e);
    // labeling-svc owns the label set: it knows the dataset now, or its label set changed
    if (changes("dataset-svc", e) || knowsDataset("labeling-svc", e) || e.type === "LabelSetChanged") reload();
  }, root);
  await browser.load();
  return { update: (next) => browser.apply(next) };
}
