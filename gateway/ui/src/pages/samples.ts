// Dataset details: the sample browser with the actions around it (synchronize the data source, add data and its
// history, delete files, delete a file's labels). Opens on All statuses (video seed).
import { Dataset, Label, get, query } from "../api";
import { h } from "../dom";
import { debounce, openLive } from "../live";
import type { PageHandle } from "../nav";
import { SampleActions } from "../components/sampleActions";
import { SampleBrowser, datasetListUrl } from "./browser";

export async function samplesPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<PageHandle> {
  const id = p.dataset;
  let dataset = await get<Dataset>(`/api/datasets/${id}`);
  let labelSet = await labelsOf(id, dataset.labels);
  const labels = (): Label[] => labelSet;
  const actions = new SampleActions({ datasetId: id });
  const browser = new SampleBrowser({
    datasetId: id, path: `/datasets/${id}/samples`, listUrl: datasetListUrl(id), labels, defaultTab: "all",
    openHref: (s, params) => `#/datasets/${id}/label/${s.id}${query(params)}`, ...actions.browserHooks(),
  }, q);
  actions.attach(browser);
  root.append(
    h("div", { class: "pagehead" },
      h("a", { href: `#/datasets/${id}`, class: "back" }, "Dashboard"), h("h1", {}, dataset.name), h("span", { class: "spacer" }), actions.el),
    browser.el);

  // The counts and statuses come from dataset-svc, which follows the same events a moment later (more when it is
  // busy): after an event the page reloads, then looks again every few seconds for a while (selection is kept).
  let settle: number | undefined;
  const reload = debounce(async () => {
    dataset = await get<Dataset>(`/api/datasets/${id}`);
    labelSet = await labelsOf(id, dataset.labels);
    browser.refreshLabels();
    await browser.load();
    let left = 10;
    window.clearInterval(settle);
    settle = window.setInterval(() => { if (--left <= 0) window.clearInterval(settle); void browser.load(); }, 3000);
  }, 1000);
  openLive(id, (e) => { browser.live(e); reload(); }, root);
  await browser.load();
  return { cleanup: () => window.clearInterval(settle), update: (next) => browser.apply(next) };
}

/** The label set labeling-svc keeps (labels added while labeling), with the dataset's own as a fallback. */
export async function labelsOf(datasetId: string, fallback: Label[]): Promise<Label[]> {
  try {
    const d = await get<{ labels: Label[] }>(`/api/labeling/datasets/${datasetId}`);
    const names = new Set(d.labels.map((l) => l.name));
    return [...d.labels, ...fallback.filter((l) => !names.has(l.name))];
  } catch { return fallback; }
}
