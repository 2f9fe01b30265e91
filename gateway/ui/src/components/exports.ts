// Exports of a dataset's versions (and of the current data a labeling job shows): the "Export" dialog (format and options) and the history with live progress and
// downloads. The list is morphed in place and acts through one delegated listener, so a click is never lost to a
// refresh. Progress is read every second while an export runs; ExportCompleted on the live stream ends the wait.
import morphdom from "morphdom";
import { Export, ExportFormats, ExportOptions, Page, Version, get, post } from "../api";
import { dialog, formatDate, h, toast } from "../dom";
import { describeError } from "../errors";
import type { LiveEvent } from "../live";

const FOLLOW_MS = 1000;

/** What an export takes: a published version, or the current data a page shows (a filter in `extra`). */
export interface ExportTarget { name: string; description: string; path: string; extra?: Record<string, unknown> }

export function versionTarget(datasetId: string, v: Version): ExportTarget {
  return { name: v.name, description: `${v.sample_count} samples`, path: `/api/datasets/${datasetId}/versions/${v.id}/exports` };
}

export class ExportsPanel {
  private readonly rows = h("tbody", { "data-testid": "exports" });
  readonly el = h("section", { class: "card" }, h("h2", {}, "Exports"),
    h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ...["Version", "Format", "Status", "Progress", "Items", "Not held by the format", "Size", "Requested", ""].map((t) => h("th", {}, t)))),
      this.rows));
  private formats: Promise<ExportFormats> | null = null;
  private timer: number | undefined;

  constructor(private readonly datasetId: string) {}

  /** The export history (newest first); while one is queued or running, read again in a second. */
  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    const page = await get<Page<Export>>(`/api/datasets/${this.datasetId}/exports?limit=20`);
    const body = h("tbody", { "data-testid": "exports" }, ...(page.items.length ? page.items.map(row) : [h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No export yet: use Export on a published version."))]));
    morphdom(this.rows, body);
    if (page.items.some((e) => e.status === "queued" || e.status === "running")) this.timer = window.setTimeout(() => void this.load().catch(() => undefined), FOLLOW_MS);
  }

  live(e: LiveEvent): void {
    if (e.type === "ExportCompleted") void this.load().catch(() => undefined);
  }

  stop(): void { window.clearTimeout(this.timer); }

  /** Ask for the format and options, then start the export of `target`. */
  async ask(target: ExportTarget): Promise<void> {
    let formats: ExportFormats;
    try { formats = await (this.formats ??= get<ExportFormats>("/api/exports/formats")); }
    catch (e) { this.formats = null; toast(describeError(e, "Could not read the export formats"), "error"); return; }
    const format = h("select", { name: "format" }, ...formats.formats.map((f) => h("option", { value: f.name }, f.title)));
    const media = h("input", { type: "checkbox", name: "include_media" });
    const interpolated = h("input", { type: "checkbox", name: "interpolated" });
    const task = h("select", { name: "yolo_task" }, h("option", { value: "detect" }, "Boxes (detect)"), h("option", { value: "segment" }, "Polygons (segment)"), h("option", { value: "obb" }, "Rotated boxes (OBB)"));
    const yolo = h("label", { hidden: true }, "YOLO task ", task);
    format.addEventListener("change", () => { yolo.hidden = !format.value.startsWith("yolo"); });
    const body = h("div", { class: "form", "data-testid": "export-dialog" },
      h("p", {}, `Export ${target.name} (${target.description}). The archive is written to the dataset's output path; you can download it here.`),
      h("label", {}, "Format ", format), yolo,
      h("label", { class: "check" }, media, "Include the images (and the frames of videos)"),
      h("label", { class: "check" }, interpolated, "Videos: every frame between keyframes, not only labeled time points"));
    if (!(await dialog(`Export ${target.name}`, body, [{ label: "Cancel", value: false }, { label: "Export", value: true, primary: true }]))) return;
    const options: ExportOptions = { include_media: media.checked, interpolated: interpolated.checked, yolo_task: task.value as ExportOptions["yolo_task"] };
    try {
      await post<Export>(target.path, { format: format.value, options, ...target.extra });
    } catch (e) { toast(describeError(e, `Could not export ${target.name}`), "error"); return; }
    toast(`Exporting ${target.name}…`);
    await this.load();
  }
}

function row(e: Export): HTMLElement {
  const skipped = Object.entries(e.outcome.skipped ?? {}).map(([why, n]) => `${n} ${why}`).join("; ");
  return h("tr", { "data-export": e.id, "data-status": e.status },
    h("td", {}, e.version_name), h("td", {}, e.format), h("td", { title: e.error || "" }, e.status === "failed" ? `failed: ${e.error || ""}` : e.status),
    h("td", {}, h("progress", { max: 100, value: e.progress.percent }), ` ${e.progress.percent}%`),
    h("td", {}, `${e.progress.items_done} / ${e.progress.items_total}`),
    h("td", { class: "muted small" }, skipped || "—"),
    h("td", {}, e.archive ? size(e.archive.size) : ""),
    h("td", {}, formatDate(e.created_at), e.requested_by ? ` · ${e.requested_by}` : ""),
    h("td", {}, e.archive ? h("a", { href: e.archive.download, download: "", "data-testid": "download", title: `SHA-256 ${e.archive.sha256}` }, "Download") : ""));
}

function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes, i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}
