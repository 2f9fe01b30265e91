import morphdom from "morphdom";
import { Dataset, Page, SamplePage, Version, currentUser, get, post } from "../api";
import { ExportsPanel, versionTarget } from "../components/exports";
import { confirmDialog, formatDate, h, labelChip, toast } from "../dom";
import { changes } from "../consistency";
import { openLive, debounce } from "../live";
import { describeError } from "../errors";
import { TYPE_NAMES } from "./datasets";

export async function dashboardPage(root: HTMLElement, p: Record<string, string>): Promise<() => void> {
  const id = p.dataset;
  const dataset = await get<Dataset>(`/api/datasets/${id}`);
  const admin = currentUser()?.role === "admin";
  const counts = h("div", { class: "stats", "data-testid": "counts" });
  const labels = h("div", { class: "chips" });
  const versions = h("tbody");
  const exports = new ExportsPanel(id);
  let shown: Version[] = [];
  // Rows are morphed in place and their buttons act through this one listener: a refresh never swallows a click.
  versions.addEventListener("click", (e) => {
    const button = (e.target as Element).closest<HTMLElement>("button[data-act]");
    const v = shown.find((x) => x.id === button?.closest<HTMLElement>("tr")?.dataset.version);
    if (!button || !v) return;
    if (button.dataset.act === "current") void setCurrent(v);
    else if (button.dataset.act === "export") void exports.ask(versionTarget(id, v));
  });
  root.append(
    h("div", { class: "pagehead" },
      h("a", { href: "#/datasets", class: "back" }, "Datasets"), h("h1", {}, dataset.name),
      h("span", { class: "muted" }, TYPE_NAMES[dataset.labeling_type]), h("span", { class: "spacer" }),
      admin ? h("button", { onclick: () => publish() }, "Publish version") : null,
      h("a", { class: "button primary", href: `#/datasets/${id}/samples`, "data-testid": "label" }, "Label")),
    h("section", { class: "card" }, h("h2", {}, "Dashboard"), counts, h("p", { class: "mono muted" },
      `input s3://${dataset.input_path.bucket}/${dataset.input_path.prefix} · output s3://${dataset.output_path.bucket}/${dataset.output_path.prefix}`),
      dataset.description ? h("p", {}, dataset.description) : null, h("h3", {}, "Labels"), labels),
    h("section", { class: "card" }, h("h2", {}, "Versions"),
      h("table", { class: "list", "data-testid": "versions" },
        h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Status"), h("th", {}, "Samples"), h("th", {}, "Labeled"), h("th", {}, "Shapes"), h("th", {}, "Published"), h("th", {}, ""))),
        versions)),
    exports.el);

  async function load(): Promise<void> {
    const [all, vs] = await Promise.all([
      get<SamplePage>(`/api/datasets/${id}/samples?limit=1`),
      get<Page<Version>>(`/api/datasets/${id}/versions?limit=50`),
    ]);
    const c = all.counts!;
    counts.replaceChildren(stat("All", c.all), stat("Unlabeled", c.unlabeled), stat("Labeled", c.labeled),
      stat("Progress", c.all ? `${Math.round((100 * c.labeled) / c.all)}%` : "—"), stat("Versions", vs.items.length));
    const fresh = await get<Dataset>(`/api/datasets/${id}`);
    labels.replaceChildren(...(fresh.labels.length ? fresh.labels.map((l) => labelChip(l.name, l.color)) : [h("span", { class: "muted" }, "No labels yet")]));
    shown = vs.items;
    morphdom(versions, h("tbody", {}, ...vs.items.map((v) => h("tr", { "data-version": v.id },
      h("td", {}, v.name, v.is_current ? h("span", { class: "badge" }, "current") : null),
      h("td", {}, v.status), h("td", {}, v.statistics.samples), h("td", {}, v.statistics.labeled_samples), h("td", {}, v.statistics.shapes),
      h("td", {}, formatDate(v.published_at)),
      h("td", { class: "row-actions" },
        v.status === "published" ? h("button", { "data-act": "export", "data-testid": "export" }, "Export") : null,
        admin && v.status === "published" && !v.is_current ? h("button", { "data-act": "current" }, "Set to current version") : null)))));
    await exports.load();
  }
  async function setCurrent(v: Version): Promise<void> {
    try { await post(`/api/datasets/${id}/versions/${v.id}/current`); }
    catch (e) { toast(describeError(e, `Could not make ${v.name} the current version`), "error"); return; }
    toast(`${v.name} is the current version`);
    await load();
  }
  async function publish(): Promise<void> {
    if (!(await confirmDialog("Publish version", "Publish a new version of this dataset (its samples and labels as they are now)?", "Publish", "Cancel"))) return;
    try {
      const v = await post<Version>(`/api/datasets/${id}/versions`, { description: "" });
      toast(`Publishing ${v.name}…`);
    } catch (e) { toast(describeError(e, "Could not publish a version"), "error"); return; }
    await load();
  }
  // Counts and versions come from dataset-svc: reload when it says it applied a change (or changed something itself).
  const reload = debounce(() => void load(), 300);
  openLive(id, (e) => { if (changes("dataset-svc", e)) reload(); exports.live(e); }, root);
  await load();
  return () => exports.stop();
}

function stat(name: string, value: number | string): HTMLElement {
  return h("div", { class: "stat" }, h("b", {}, value), h("span", {}, name));
}
