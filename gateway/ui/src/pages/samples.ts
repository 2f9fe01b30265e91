// Dataset details: the sample browser plus "Synchronize data source", "Add data" (and its history) and delete.
import { ApiError, Dataset, ImportTask, Label, Page, SyncRun, currentUser, get, post, request } from "../api";
import { dialog, formatDate, h, toast } from "../dom";
import { debounce, openLive } from "../live";
import { SampleBrowser, Tab, datasetListUrl } from "./browser";

export async function samplesPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<() => void> {
  const id = p.dataset;
  let dataset = await get<Dataset>(`/api/datasets/${id}`);
  let labelSet = await labelsOf(id, dataset.labels);
  const role = currentUser()?.role;
  const progress = h("span", { class: "progress", "data-testid": "sync-progress" });
  const del = h("button", { class: "danger", disabled: true, "data-testid": "delete", onclick: () => void remove() }, "Delete");
  const labels = (): Label[] => labelSet;
  const browser: SampleBrowser = new SampleBrowser({
    datasetId: id, listUrl: datasetListUrl(id), labels, defaultTab: (q.get("tab") as Tab) || "unlabeled",
    openHref: (s): string => `#/datasets/${id}/label/${s.id}?tab=${browser.tab}`,
    onSelection: (sel) => { del.disabled = sel.size === 0; del.textContent = sel.size ? `Delete (${sel.size})` : "Delete"; },
  });
  const writer = role === "admin" || role === "annotator";
  root.append(
    h("div", { class: "pagehead" },
      h("a", { href: `#/datasets/${id}`, class: "back" }, "Dashboard"), h("h1", {}, dataset.name), h("span", { class: "spacer" }),
      writer ? h("button", { "data-testid": "sync", onclick: () => void sync() }, "Synchronize data source") : null, progress,
      writer ? h("button", { onclick: () => void addData() }, "Add data") : null,
      h("button", { onclick: () => void history() }, "Import history"),
      h("button", { "data-testid": "select-page", onclick: () => browser.selectPage() }, "Select images on current page"),
      role === "admin" ? del : null),
    browser.el);

  async function sync(): Promise<void> {
    progress.textContent = "Synchronizing…";
    let run: SyncRun | null = null;
    // sync-svc learns of a new dataset from its DatasetCreated event: a fresh dataset may be unknown there briefly.
    for (let attempt = 0; !run; attempt++) {
      try { run = await post<SyncRun>(`/api/sync/datasets/${id}/runs`); }
      catch (e) {
        if (!(e instanceof ApiError && e.status === 404 && attempt < 40)) { progress.textContent = `Synchronization failed: ${(e as Error).message}`; return; }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    while (run.status === "queued" || run.status === "running") {
      await new Promise((r) => setTimeout(r, 700));
      run = await get<SyncRun>(`/api/sync/runs/${run.id}`);
      progress.textContent = `Synchronizing: ${run.counts.listed} listed, ${run.counts.added} added`;
    }
    progress.textContent = run.status === "succeeded"
      ? `Synchronized: ${run.counts.added} added, ${run.counts.removed} removed, ${run.counts.unchanged} unchanged`
      : `Synchronization ${run.status}: ${run.error || ""}`;
    progress.dataset.status = run.status;
    await browser.load();
  }

  async function addData(): Promise<void> {
    const kind = h("select", { name: "source" }, h("option", { value: "bucket" }, "Another bucket path"), h("option", { value: "manifest" }, "Manifest file"), h("option", { value: "upload" }, "Upload from this computer"));
    const path = h("input", { name: "path", placeholder: "bucket/prefix/ or bucket/manifest.jsonl" });
    const files = h("input", { type: "file", multiple: true, accept: "image/*,video/*" });
    const mode = h("select", { name: "mode" }, h("option", { value: "copy" }, "Copy into the input path"), h("option", { value: "reference" }, "Reference in place"));
    const labeled = h("select", { name: "labeled" }, h("option", { value: "false" }, "Unlabeled"), h("option", { value: "true" }, "Labeled (annotations from the manifest)"));
    const error = h("p", { class: "error" });
    const body = h("div", { class: "form" }, h("label", {}, "Data source", kind), h("label", {}, "Import path", path), h("label", {}, "Files", files),
      h("label", {}, "Import mode", mode), h("label", {}, "Labeling status", labeled), error);
    for (;;) {
      const ok = await dialog("Add data", body, [{ label: "Cancel", value: false }, { label: "OK", value: true, primary: true }]);
      if (!ok) return;
      try {
        if (kind.value === "upload") {
          for (const f of Array.from(files.files || [])) {
            await request("PUT", `/api/sync/datasets/${id}/uploads/${encodeURIComponent(f.name)}`, f, { "Content-Type": f.type || "application/octet-stream" });
          }
        } else {
          const [bucket, ...rest] = path.value.trim().replace(/^s3:\/\//, "").split("/");
          const source = kind.value === "bucket" ? { kind: "bucket", bucket, prefix: rest.join("/") } : { kind: "manifest", bucket, key: rest.join("/") };
          await post<ImportTask>(`/api/sync/datasets/${id}/imports`, { source, mode: mode.value, labeled: labeled.value === "true" });
        }
        toast("Import started: see Import history");
        return;
      } catch (e) { error.textContent = e instanceof ApiError ? e.message : String(e); }
    }
  }

  async function history(): Promise<void> {
    const page = await get<Page<ImportTask>>(`/api/sync/datasets/${id}/imports?limit=50`);
    const src = (t: ImportTask) => t.source.kind === "upload" ? `upload ${t.source.file_name}` : `${t.source.kind} s3://${t.source.bucket}/${t.source.prefix ?? t.source.key ?? ""}`;
    const table = h("table", { class: "list" }, h("thead", {}, h("tr", {}, ...["Created", "Source", "Mode", "Status", "Imported", "Skipped", "Failed", "Errors"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...page.items.map((t) => h("tr", {}, h("td", {}, formatDate(t.created_at)), h("td", { class: "mono" }, src(t)), h("td", {}, t.mode),
        h("td", {}, t.status), h("td", {}, t.counts.imported), h("td", {}, t.counts.skipped), h("td", {}, t.counts.failed),
        h("td", {}, t.error || t.errors.slice(0, 3).map((e) => `${e.item}: ${e.error}`).join("; "))))));
    await dialog("Import history", page.items.length ? table : h("p", {}, "No import yet."), [{ label: "Close", value: true }]);
  }

  async function remove(): Promise<void> {
    const ids = [...browser.selected];
    const preview = await post<{ samples: number; other_datasets: number; versions: number; shared_objects: number }>(`/api/datasets/${id}/samples/deletion-preview`, { sample_ids: ids });
    const source = h("input", { type: "checkbox", name: "delete_source", "data-testid": "delete-source" });
    const warning = h("p", { class: "warning", "data-testid": "reference-warning" },
      preview.other_datasets || preview.versions
        ? `${preview.shared_objects} of these files are also used by ${preview.other_datasets} other dataset(s) and ${preview.versions} version(s); deleting the source files breaks them.`
        : "No other dataset or version uses these files.");
    const body = h("div", {}, h("p", {}, `Delete ${preview.samples} selected file(s) from the dataset?`),
      h("label", { class: "check" }, source, "Delete the source files from the bucket"), warning,
      h("p", { class: "muted" }, "Deleted source files cannot be recovered."));
    const ok = await dialog("Delete", body, [{ label: "No", value: false }, { label: "Yes", value: true, danger: true }]);
    if (!ok) return;
    try {
      const result = await post<{ deleted: number; status: string }>(`/api/datasets/${id}/samples/deletions`, { sample_ids: ids, delete_source: source.checked });
      toast(`Deleted ${result.deleted} file(s)${source.checked ? " and their source files" : ""}`);
      browser.selected.clear();
      del.disabled = true; del.textContent = "Delete";
      await browser.load();
    } catch (e) { toast(e instanceof ApiError ? e.message : String(e), "error"); }
  }

  // The counts and statuses come from dataset-svc, which follows the same events a moment later (more when it is
  // busy): after an event the page reloads, then looks again every few seconds for a while (selection is kept).
  let settle: number | undefined;
  openLive(id, debounce(async () => {
    dataset = await get<Dataset>(`/api/datasets/${id}`);
    labelSet = await labelsOf(id, dataset.labels);
    browser.refreshLabels();
    await browser.load();
    let left = 10;
    window.clearInterval(settle);
    settle = window.setInterval(() => { if (--left <= 0) window.clearInterval(settle); void browser.load(); }, 3000);
  }, 1000));
  await browser.load();
  return () => window.clearInterval(settle);
}

/** The label set labeling-svc keeps (labels added while labeling), with the dataset's own as a fallback. */
export async function labelsOf(datasetId: string, fallback: Label[]): Promise<Label[]> {
  try {
    const d = await get<{ labels: Label[] }>(`/api/labeling/datasets/${datasetId}`);
    const names = new Set(d.labels.map((l) => l.name));
    return [...d.labels, ...fallback.filter((l) => !names.has(l.name))];
  } catch { return fallback; }
}
