// The actions around a sample browser, the same on a dataset's page and a labeling job's page: synchronize, add
// data, import history, select the page, delete files (with the deletion preview), delete a file's labels.
// Each control is shown only to the roles the API lets do it.
import { Annotation, ApiError, ExportFormats, ImportTask, Page, Sample, SyncRun, annotationPath, currentUser, get, post, query, request } from "../api";
import { LiveFanout, NotArrivedError, knowsDataset, whenArrived } from "../consistency";
import { append, dialog, formatDate, h, toast } from "../dom";
import { describeError } from "../errors";
import type { SampleBrowser } from "../pages/browser";

export interface ActionsOptions {
  datasetId: string;
  /** On a labeling job's page: "Synchronize new data" (the job's), else "Synchronize data source" (the bucket's). */
  jobId?: string;
  /** The page's live stream: a dataset just created may be unknown to sync-svc until it announces it. */
  live: LiveFanout;
}

/** How long "Synchronize data source" waits for sync-svc to learn of a dataset just created. */
const DATASET_ARRIVAL_MS = 60_000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SampleActions {
  readonly el = h("div", { class: "actions" });
  private readonly role = currentUser()?.role;
  /** Annotators and admins add data, synchronize and delete labels; only admins delete files. */
  readonly canLabel = this.role === "admin" || this.role === "annotator";
  readonly canDelete = this.role === "admin";
  private browser: SampleBrowser | null = null;
  private progress = h("span", { class: "progress", "data-testid": "sync-progress" });
  private del = h("button", { class: "danger", disabled: true, "data-testid": "delete", onclick: () => void this.remove() }, "Delete");

  constructor(private o: ActionsOptions) {
    const sync = o.jobId
      ? h("button", { "data-testid": "sync", onclick: () => void this.syncJob() }, "Synchronize new data")
      : h("button", { "data-testid": "sync", onclick: () => void this.syncSource() }, "Synchronize data source");
    append(this.el,
      this.canLabel ? sync : null, this.progress,
      this.canLabel ? h("button", { "data-testid": "add-data", onclick: () => void this.addData() }, "Add data") : null,
      h("button", { "data-testid": "import-history", onclick: () => void this.history() }, "Import history"),
      this.canDelete ? h("button", { "data-testid": "select-page", onclick: () => this.browser?.selectPage() }, "Select images on current page") : null,
      this.canDelete ? this.del : null);
  }

  attach(browser: SampleBrowser): void { this.browser = browser; }

  /** The browser's options that lead to these actions. */
  browserHooks(): { selectable: boolean; onSelection: (ids: Set<string>) => void; onDeleteLabels?: (s: Sample) => void } {
    return {
      selectable: this.canDelete,
      onSelection: (sel) => { this.del.disabled = sel.size === 0; this.del.textContent = sel.size ? `Delete (${sel.size})` : "Delete"; },
      onDeleteLabels: this.canLabel ? (s) => void this.deleteLabels(s) : undefined,
    };
  }

  private get id(): string { return this.o.datasetId; }

  private async syncJob(): Promise<void> {
    try {
      const r = await post<{ new_samples: number }>(`/api/labeling/jobs/${this.o.jobId}/synchronize`);
      this.progress.textContent = `Synchronized: ${r.new_samples} new file(s)`;
      this.progress.dataset.status = "succeeded";
      await this.browser?.load();
    } catch (e) { this.progress.textContent = describeError(e, "Could not synchronize new data"); }
  }

  private async syncSource(): Promise<void> {
    this.progress.textContent = "Synchronizing…";
    let run: SyncRun;
    // sync-svc learns of a new dataset from its DatasetCreated event: a fresh dataset may be unknown there briefly.
    // Asked again when sync-svc announces it knows the dataset (a refused request started nothing), not on a timer.
    try {
      run = await whenArrived({
        load: () => post<SyncRun>(`/api/sync/datasets/${this.id}/runs`), missing: (e) => e instanceof ApiError && e.status === 404,
        listen: this.o.live.listen, mayBeThere: (e) => knowsDataset("sync-svc", e), timeoutMs: DATASET_ARRIVAL_MS,
        waiting: () => { this.progress.textContent = "Waiting for the data source to be registered…"; },
      });
    } catch (e) {
      this.progress.textContent = e instanceof NotArrivedError
        ? `Could not synchronize the data source: it is still not registered after ${DATASET_ARRIVAL_MS / 1000} s; try again later.`
        : describeError(e, "Could not synchronize the data source");
      return;
    }
    try {
      while (run.status === "queued" || run.status === "running") {
        await pause(700);
        run = await get<SyncRun>(`/api/sync/runs/${run.id}`);
        this.progress.textContent = `Synchronizing: ${run.counts.listed} listed, ${run.counts.added} added`;
      }
    } catch (e) { this.progress.textContent = describeError(e, "Could not follow the synchronization"); return; }
    this.progress.textContent = run.status === "succeeded"
      ? `Synchronized: ${run.counts.added} added, ${run.counts.removed} removed, ${run.counts.unchanged} unchanged`
      : `Synchronization ${run.status}${run.error ? `: ${run.error}` : "."}`;
    this.progress.dataset.status = run.status;
    await this.browser?.load();
  }

  private async addData(): Promise<void> {
    const kind = h("select", { name: "source" }, h("option", { value: "bucket" }, "Another bucket path"), h("option", { value: "manifest" }, "Manifest file"),
      h("option", { value: "archive" }, "Annotated archive (COCO, YOLO, VOC, CVAT, MOT, Datumaro zip)"), h("option", { value: "upload" }, "Upload from this computer"));
    const path = h("input", { name: "path", placeholder: "bucket/prefix/, bucket/manifest.jsonl or bucket/export.zip (or choose a zip below)" });
    const format = h("select", { name: "format" }, h("option", { value: "" }, "Recognise from its files"));
    const formatRow = h("label", { hidden: true }, "Archive format", format);
    kind.addEventListener("change", () => {
      formatRow.hidden = kind.value !== "archive";
      if (kind.value === "archive" && format.options.length === 1) void this.offerFormats(format);
    });
    const files = h("input", { type: "file", name: "files", multiple: true, accept: "image/*,video/*,.zip" });
    const mode = h("select", { name: "mode" }, h("option", { value: "copy" }, "Copy into the input path"), h("option", { value: "reference" }, "Reference in place"));
    const labeled = h("select", { name: "labeled" }, h("option", { value: "false" }, "Unlabeled"), h("option", { value: "true" }, "Labeled (annotations from the manifest or archive)"));
    const error = h("p", { class: "error" });
    const body = h("div", { class: "form" }, h("label", {}, "Data source", kind), h("label", {}, "Import path", path), formatRow, h("label", {}, "Files", files),
      h("label", {}, "Import mode", mode), h("label", {}, "Labeling status", labeled), error);
    for (;;) {
      const ok = await dialog("Add data", body, [{ label: "Cancel", value: false }, { label: "OK", value: true, primary: true }]);
      if (!ok) return;
      try {
        const archive = files.files?.[0];
        if (kind.value === "archive" && archive && !path.value.trim()) { // a zip on this computer
          const params = query({ format: format.value || null, labeled: labeled.value === "true" });
          await request("PUT", `/api/sync/datasets/${this.id}/archives/${encodeURIComponent(archive.name)}${params}`, archive, { "Content-Type": "application/zip" });
        } else if (kind.value === "upload") {
          for (const f of Array.from(files.files || [])) {
            await request("PUT", `/api/sync/datasets/${this.id}/uploads/${encodeURIComponent(f.name)}`, f, { "Content-Type": f.type || "application/octet-stream" });
          }
        } else {
          const [bucket, ...rest] = path.value.trim().replace(/^s3:\/\//, "").split("/");
          const source = kind.value === "bucket" ? { kind: "bucket", bucket, prefix: rest.join("/") }
            : kind.value === "archive" ? { kind: "archive", bucket, key: rest.join("/"), format: format.value || null }
              : { kind: "manifest", bucket, key: rest.join("/") };
          await post<ImportTask>(`/api/sync/datasets/${this.id}/imports`, { source, mode: mode.value, labeled: labeled.value === "true" });
        }
        toast("Import started: see Import history");
        return;
      } catch (e) { error.textContent = describeError(e, "Could not add the data"); }
    }
  }

  /** The formats an archive may be in (those a version can be exported to: each reads what it writes). */
  private async offerFormats(select: HTMLSelectElement): Promise<void> {
    try {
      const found = await get<ExportFormats>("/api/exports/formats");
      select.append(...found.formats.map((f) => h("option", { value: f.name }, f.title)));
    } catch { /* the archive's files are recognised instead */ }
  }

  private async history(): Promise<void> {
    let page: Page<ImportTask>;
    try { page = await get<Page<ImportTask>>(`/api/sync/datasets/${this.id}/imports?limit=50`); }
    catch (e) { toast(describeError(e, "Could not show the import history"), "error"); return; }
    const src = (t: ImportTask) => t.source.kind === "upload" ? `upload ${t.source.file_name}` : `${t.source.kind} s3://${t.source.bucket}/${t.source.prefix ?? t.source.key ?? ""}`;
    const table = h("table", { class: "list", "data-testid": "import-history-table" }, h("thead", {}, h("tr", {}, ...["Created", "Source", "Mode", "Status", "Imported", "Skipped", "Failed", "Errors"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...page.items.map((t) => h("tr", {}, h("td", {}, formatDate(t.created_at)), h("td", { class: "mono" }, src(t)), h("td", {}, t.mode),
        h("td", {}, t.status), h("td", {}, t.counts.imported), h("td", {}, t.counts.skipped), h("td", {}, t.counts.failed),
        h("td", {}, t.error || t.errors.slice(0, 3).map((e) => `${e.item}: ${e.error}`).join("; "))))));
    await dialog("Import history", page.items.length ? table : h("p", {}, "No import yet."), [{ label: "Close", value: true }]);
  }

  private async remove(): Promise<void> {
    const browser = this.browser;
    if (!browser) return;
    const ids = [...browser.selected];
    let preview: { samples: number; other_datasets: number; versions: number; shared_objects: number };
    try { preview = await post(`/api/datasets/${this.id}/samples/deletion-preview`, { sample_ids: ids }); }
    catch (e) { toast(describeError(e, "Could not prepare the deletion"), "error"); return; }
    const source = h("input", { type: "checkbox", name: "delete_source", "data-testid": "delete-source" });
    const warning = h("p", { class: "warning", "data-testid": "reference-warning" },
      preview.other_datasets || preview.versions
        ? `${preview.shared_objects} of these files are also used by ${preview.other_datasets} other dataset(s) and ${preview.versions} version(s); deleting the source files breaks them.`
        : "No other dataset or version uses these files.");
    const body = h("div", {}, h("p", {}, `Delete ${preview.samples} selected file(s) from the dataset?`),
      h("label", { class: "check" }, source, "Delete source files"), warning,
      h("p", { class: "muted" }, "Deleted source files cannot be recovered."));
    const ok = await dialog("Delete", body, [{ label: "No", value: false }, { label: "Yes", value: true, danger: true }]);
    if (!ok) return;
    try {
      const result = await post<{ deleted: number; status: string }>(`/api/datasets/${this.id}/samples/deletions`, { sample_ids: ids, delete_source: source.checked });
      toast(`Deleted ${result.deleted} file(s)${source.checked ? " and their source files" : ""}`);
      browser.selected.clear();
      this.browserHooks().onSelection(browser.selected);
      browser.drop(ids);
    } catch (e) { toast(describeError(e, "Could not delete the files"), "error"); }
  }

  /** "Modifying Labeled Data": the × on a labeled file deletes all its labels; it moves to Unlabeled. */
  private async deleteLabels(s: Sample): Promise<void> {
    const ok = await dialog("Delete labels", h("p", {}, `Delete all labels of ${s.file_name}? It moves to Unlabeled.`),
      [{ label: "Cancel", value: false }, { label: "OK", value: true, danger: true }]);
    if (!ok) return;
    try {
      const path = annotationPath(s.dataset_id || this.id, s.id);
      const current = await get<Annotation>(path);
      await request("DELETE", `${path}/shapes`, undefined, { "If-Match": `"${current.revision}"` });
      toast(`Deleted the labels of ${s.file_name}`);
      this.browser?.drop([s.id]);
    } catch (e) { toast(describeError(e, `Could not delete the labels of ${s.file_name}`), "error"); }
  }
}
