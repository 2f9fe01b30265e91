// The labeling page of one sample: one annotation model (every shape with its own time point), the canvas and the
// video stage as views of it, the panels computed from it, one save pipeline, and the edits kept in the browser
// until the server has them.
import { Annotation, ApiError, Dataset, Sample, SamplePage, Shape, annotationPath, currentUser, get, query, request } from "../../api";
import { confirmDialog, dialog, h, toast } from "../../dom";
import { describeError, ruleSentence } from "../../errors";
import { LiveFanout, NotArrivedError, RECONNECTED, Service, mayKnow, whenArrived } from "../../consistency";
import { openLive } from "../../live";
import { navigate, setLeaveGuard } from "../../nav";
import { CanvasEditor, Tool } from "../../editor/canvas";
import { Draft, DraftStore, draftKey } from "../../editor/drafts";
import { AnnotationModel, TimePointView, sameShapes } from "../../editor/model";
import { AnnotationStore, SavePipeline } from "../../editor/saver";
import { VideoStage, fmt } from "../../editor/video";
import { askConflict } from "./conflict";
import { LabelSet } from "./labels";
import { LabelPanel } from "./panel";
import { statusView } from "./status";
import { TOOLS, Toolbar } from "./toolbar";
import "./label.css";

const AUTOSAVE_KEY = "labelstream.autosave", AUTOSAVE_MS = 3000;
/** How long the page waits for a new file to reach the services it reads before it says it did not. */
const ARRIVAL_TIMEOUT_MS = 60_000;

export async function labelPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<() => void> {
  const datasetId = p.dataset, sampleId = p.sample;
  // The stream is open before the first read: an announcement that the file arrived may come before that read's 404.
  const live = new LiveFanout();
  openLive(datasetId, live.emit, root);
  const known = arrival(root, live, sampleId);
  const [dataset, sample, first] = await Promise.all([get<Dataset>(`/api/datasets/${datasetId}`),
    known<Sample>("dataset-svc", `/api/datasets/${datasetId}/samples/${sampleId}`), known<Annotation>("labeling-svc", annotationPath(datasetId, sampleId))]);
  known.arrived();
  let annotation = first;
  const labels = await LabelSet.load(datasetId);
  const user = currentUser();
  const canWrite = user?.role !== "viewer";
  const isVideo = sample.media_kind === "video";
  let neighbours: string[] = []; // the samples of the strip below, for ← and →
  const back = q.get("from") || (q.get("job") ? `/jobs/${q.get("job")}` : `/datasets/${datasetId}/samples${query({ tab: q.get("tab") })}`);

  // --- the model, its views and the save pipeline ----------------------------------------------------------
  const model = new AnnotationModel(isVideo ? sample.media?.fps || 25 : null);
  const editor = new CanvasEditor(model, { colorOf: labels.colorOf, create: (s) => createShape(s), selected: () => panel.render() });
  editor.readOnly = !canWrite;
  editor.tool = dataset.labeling_type === "image_segmentation" ? "polygon" : "rectangle";
  editor.setScope(isVideo ? -1 : null); // a video shows no shape until a frame is on screen
  const status = statusView();
  const store: AnnotationStore = {
    get: () => get<Annotation>(annotationPath(datasetId, sampleId)),
    put: (shapes, basedOn) => request<Annotation>("PUT", annotationPath(datasetId, sampleId), { shapes }, { "If-Match": `"${basedOn}"` }),
  };
  const pipeline = new SavePipeline(model, store, {
    stateChanged: (s) => { status.show(s); if (s.kind === "saved") syncDraft(); },
    saved: (a) => {
      annotation = a;
      hardBox.checked = a.hard_example;
      noteLabels(a.shapes);
      editor.originals = new Map(a.shapes.map((s) => [s.shape_id, s]));
      panel.render();
    },
    invalid: (e) => showProblems(e),
    conflict: (result, theirs) => askConflict(result, theirs, model.all()),
    merged: (_r, theirs) => { noteLabels(theirs.shapes); toast(`Combined with the changes ${theirs.labeled_by || "someone else"} saved meanwhile (revision ${theirs.revision}).`); },
  }, annotation);
  const drafts = canWrite ? await DraftStore.open() : null;
  const key = draftKey(user?.username || "", datasetId, sampleId);
  (window as unknown as Record<string, unknown>).labelstreamEditor = editor;
  (window as unknown as Record<string, unknown>).labelstreamPage = { model, pipeline };

  /** Shapes someone else saved may use labels added since the page opened: read the label set again. */
  function noteLabels(shapes: readonly Shape[]): void {
    if (!shapes.some((s) => !labels.has(s.label))) return;
    labels.stale = true;
    void labels.reload().then(() => { editor.invalidate(); panel.render(); }).catch(() => undefined);
  }

  async function createShape(shape: Shape): Promise<void> {
    await pipeline.track((async () => {
      const label = await labels.pick(shape.label);
      if (label) model.add({ ...shape, label });
    })());
  }

  // --- edits kept in the browser until the server has them ----------------------------------------------
  // Nothing is written until a draft left from before has been offered back: loading the server's shapes must not
  // delete it while the question is open (a crash then would lose it).
  let draftWrite: Promise<void> = Promise.resolve();
  let draftsOffered = false;
  /** The draft follows the model: kept while there are unsaved edits, removed once the server has them. */
  function syncDraft(): void {
    if (!drafts || !draftsOffered) return;
    const dirty = pipeline.dirty;
    const draft: Draft = { key, shapes: model.all().slice(), baseRevision: pipeline.base.revision, baseShapes: pipeline.base.shapes, savedAt: Date.now() };
    draftWrite = draftWrite.then(() => (dirty ? drafts.put(draft) : drafts.delete(key))).catch(() => undefined);
  }
  async function offerDraft(): Promise<void> {
    const draft = drafts && (await drafts.get(key).catch(() => undefined));
    if (!draft || sameShapes(draft.shapes, annotation.shapes)) { if (draft) await drafts!.delete(key); return; }
    const restore = await dialog("Unsaved changes", h("p", { "data-testid": "draft-offer" },
      `You have changes to this file that were not saved (${new Date(draft.savedAt).toLocaleString()}). Restore and save them, or discard them?`),
      [{ label: "Discard", value: false, danger: true }, { label: "Restore and save", value: true, primary: true }]);
    if (!restore) { await drafts!.delete(key); return; }
    pipeline.base = { revision: draft.baseRevision, shapes: draft.baseShapes };
    draftsOffered = true;
    model.load(draft.shapes);
    void pipeline.save();
  }

  // --- what the server refused (422): on the shape at fault, wherever it is -----------------------------
  function showProblems(e: ApiError): void {
    model.errors.clear();
    const details = Array.isArray(e.body.details) ? (e.body.details as { shape_id?: string; shape_index?: number | null; rule?: string; message?: string }[]) : [];
    const all = model.all();
    for (const d of details) {
      const shape = all.find((s) => s.shape_id === d.shape_id) || (typeof d.shape_index === "number" ? all[d.shape_index] : undefined);
      if (shape) model.errors.set(shape.shape_id, `${ruleSentence(d.rule)}.`);
    }
    toast(model.errors.size ? `Not saved: ${model.errors.size} shape(s) are not valid; they are listed in the panel.` : describeError(e, "Not saved"), "error");
    editor.invalidate();
    panel.render();
  }

  // --- leaving, saving, labels ------------------------------------------------------------------------------
  async function leave(): Promise<boolean> {
    if (!canWrite || (!pipeline.dirty && !pipeline.busy)) return true;
    if (!pipeline.dirty) return pipeline.save();
    const answer = await dialog("Back to data labeling preview", h("p", {}, "Save the labeling of this file?"),
      [{ label: "Cancel", value: "cancel" }, { label: "No", value: "no" }, { label: "Yes", value: "yes", primary: true }]);
    if (answer === "yes") return pipeline.save();
    if (answer === "no") { await drafts?.delete(key); return true; }
    return false;
  }
  setLeaveGuard(leave);
  async function renameLabel(name: string): Promise<void> {
    if (pipeline.dirty && !(await pipeline.save())) return;
    const renamed = await labels.edit(name);
    if (renamed === null) return;
    await pipeline.exclusive(async () => pipeline.reset(await store.get()));
    panel.render();
  }
  async function editShape(s: Shape): Promise<void> {
    await pipeline.track((async () => {
      const label = await labels.pick(s.label, "Edit label");
      const now = model.find(s.shape_id); // as it is after the dialog (someone's save may have moved it meanwhile)
      if (label && now && label !== now.label) model.replace(now.shape_id, { ...now, label });
    })());
  }
  async function removeShape(s: Shape): Promise<void> {
    if (!isVideo) { model.remove((x) => x.shape_id === s.shape_id); return; }
    const at = fmt((model.frameOf(s) ?? 0) / (model.fps || 25));
    if (!(await confirmDialog("Delete label", `Delete ${s.label} at ${at}?`, "OK", "Cancel"))) return;
    model.remove((x) => x.shape_id === s.shape_id);
    await pipeline.save();
  }
  async function removeTimePoint(tp: TimePointView): Promise<void> {
    const at = fmt(tp.frame / (model.fps || 25));
    if (!(await confirmDialog("Delete labels", `Delete all ${tp.shapes.length} label(s) at ${at}?`, "OK", "Cancel"))) return;
    model.remove((s) => model.frameOf(s) === tp.frame);
    await pipeline.save();
  }
  async function setHardExample(box: HTMLInputElement): Promise<void> {
    const wanted = box.checked;
    try {
      await pipeline.exclusive(async () => {
        const a = await request<Annotation>("PUT", `${annotationPath(datasetId, sampleId)}/hard-example`, { hard_example: wanted }, { "If-Match": `"${pipeline.base.revision}"` });
        pipeline.adopt(a);
      });
    } catch (e) { box.checked = !wanted; toast(describeError(e, "The hard-example mark was not saved"), "error"); }
  }

  // --- the page ------------------------------------------------------------------------------------------
  const toolbar = new Toolbar(editor, `labelstream.tool.${dataset.labeling_type}`, canWrite, { fullScreen: () => fullScreen(), deleteAll: () => editor.deleteAll() });
  const video = isVideo ? new VideoStage(datasetId, sample, model, editor, (n) => { keepFrameInUrl(n); panel.render(); }) : null;
  const hardBox = h("input", { type: "checkbox", checked: annotation.hard_example, disabled: !canWrite, "data-testid": "hard-example", onchange: () => void setHardExample(hardBox) });
  const panel = new LabelPanel(model, editor, canWrite, {
    colorOf: labels.colorOf, editShape, removeShape, removeTimePoint, renameLabel,
    goTo: async (n) => { await video?.showFrame(n); }, shownFrame: () => (video ? video.shown : null),
  }, { hardExample: h("label", { class: "check" }, hardBox, "Hard example"), shortcuts: shortcuts(canWrite),
    note: () => `Revision ${pipeline.base.revision}${annotation.labeled_by ? ` · labeled by ${annotation.labeled_by}` : ""}` });
  const stage = h("div", { class: "stage" }, video ? video.el : editor.canvas);
  const saveButton = h("button", { class: "primary", "data-testid": "save", onclick: () => void pipeline.save() }, "Save");
  const autosave = h("input", { type: "checkbox", "data-testid": "autosave", checked: localStorage.getItem(AUTOSAVE_KEY) === "on",
    onchange: () => localStorage.setItem(AUTOSAVE_KEY, autosave.checked ? "on" : "off") });
  const shell = h("div", { class: "label-shell" },
    h("div", { class: "pagehead" },
      h("button", { class: "back", "data-testid": "back", onclick: async () => { if (await leave()) { setLeaveGuard(null); navigate(back); } } }, "‹ Back to data labeling preview"),
      h("h1", { class: "file" }, sample.file_name), status.el, h("span", { class: "spacer" }),
      canWrite ? h("label", { class: "check", title: "Save a few seconds after the last edit" }, autosave, "Autosave") : null,
      canWrite ? saveButton : h("span", { class: "badge", "data-testid": "read-only" }, "read only")),
    h("div", { class: "editor" }, toolbar.el, stage, panel.el), strip());
  root.append(shell);
  const fullScreen = () => { if (document.fullscreenElement) void document.exitFullscreen(); else void shell.requestFullscreen(); };
  const refit = () => requestAnimationFrame(() => editor.fit());
  document.addEventListener("fullscreenchange", refit);

  let autosaveTimer: number | undefined;
  model.onChange(() => {
    syncDraft();
    panel.render();
    toolbar.refresh();
    window.clearTimeout(autosaveTimer);
    if (autosave.checked && pipeline.dirty) autosaveTimer = window.setTimeout(() => void pipeline.save(), AUTOSAVE_MS);
  });
  if (video) {
    const start = Number(q.get("frame"));
    await video.showFrame(Number.isFinite(start) && start > 0 ? start : 0);
  } else {
    const img = new Image();
    img.decoding = "async";
    img.src = `/api/files/datasets/${datasetId}/samples/${sampleId}`;
    await img.decode().catch(() => undefined);
    if (!img.naturalWidth) toast("The image could not be loaded.", "error");
    editor.setPicture(img, img.naturalWidth || sample.media?.width || 800, img.naturalHeight || sample.media?.height || 600);
  }
  model.load(annotation.shapes);
  editor.originals = new Map(annotation.shapes.map((s) => [s.shape_id, s]));
  status.show(pipeline.state);
  toolbar.refresh();
  if (canWrite) await offerDraft();
  draftsOffered = true;

  function keepFrameInUrl(n: number): void {
    const params = new URLSearchParams(q);
    if (n > 0) params.set("frame", String(n)); else params.delete("frame");
    const s = params.toString();
    history.replaceState(history.state, "", `#/datasets/${datasetId}/label/${sampleId}${s ? `?${s}` : ""}`);
  }

  // --- keyboard, unload, live changes by others ------------------------------------------------------------
  const keys = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement)?.closest?.("input, textarea, select, dialog")) return;
    const k = e.key.toLowerCase(), ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && k === "z" && !e.shiftKey) { e.preventDefault(); editor.undo(); }
    else if (ctrl && (k === "y" || (k === "z" && e.shiftKey))) { e.preventDefault(); editor.redo(); }
    else if (ctrl && k === "s") { e.preventDefault(); if (canWrite) void pipeline.save(); }
    else if (ctrl) return;
    else if (k === "+" || k === "=") editor.zoomAt(1.25);
    else if (k === "-") editor.zoomAt(0.8);
    else if (k === "0") editor.fit();
    else if (k === "h") editor.toggleVisible();
    else if (k === "f") fullScreen();
    else if (video && video.key(e)) e.preventDefault();
    else if (!video && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      const at = neighbours.indexOf(sampleId), next = neighbours[at + (e.key === "ArrowRight" ? 1 : -1)];
      if (at >= 0 && next) navigate(`/datasets/${datasetId}/label/${next}${query({ tab: q.get("tab"), job: q.get("job"), from: q.get("from") })}`);
    }
    else if (canWrite) { const t = TOOLS.find((x) => x[3] === k); if (t) toolbar.setTool(t[0] as Tool); }
    toolbar.refresh();
  };
  window.addEventListener("keydown", keys);
  const unsaved = (e: BeforeUnloadEvent) => { if (canWrite && pipeline.dirty) e.preventDefault(); };
  window.addEventListener("beforeunload", unsaved);
  const online = () => { if (pipeline.state.kind === "offline") void pipeline.save(); };
  window.addEventListener("online", online);
  const stopLive = live.listen((e) => {
    if (e.type === RECONNECTED) { // someone's change may have been missed: look once (unsaved edits merge on save)
      if (!pipeline.dirty && !pipeline.busy) {
        void pipeline.exclusive(async () => { const a = await store.get(); if (a.revision > pipeline.base.revision && !pipeline.dirty) pipeline.reset(a); }).catch(() => undefined);
      }
      return;
    }
    if (e.type === "LabelSetChanged") { // a label added, renamed, recoloured or deleted (here or elsewhere)
      void labels.reload().then(() => { editor.invalidate(); panel.render(); }).catch(() => undefined);
      return;
    }
    if (e.type !== "LabelChanged" || e.sample_id !== sampleId || (e.revision || 0) <= pipeline.base.revision || e.labeled_by === user?.username) return;
    if (pipeline.dirty || pipeline.busy) toast(`${e.labeled_by || "Someone"} changed this file (revision ${e.revision}); your changes will be combined with theirs when you save.`);
    else void pipeline.exclusive(async () => { pipeline.reset(await store.get()); toast(`${e.labeled_by || "Someone"} changed this file: showing revision ${pipeline.base.revision}.`); });
  });
  return () => {
    stopLive();
    window.removeEventListener("keydown", keys); window.removeEventListener("beforeunload", unsaved); window.removeEventListener("online", online);
    document.removeEventListener("fullscreenchange", refit);
    window.clearTimeout(autosaveTimer);
    editor.destroy(); video?.destroy(); setLeaveGuard(null);
  };

  // --- the strip of neighbouring files ---------------------------------------------------------------------
  function strip(): HTMLElement {
    const el = h("div", { class: "strip", "data-testid": "strip" });
    const tab = q.get("tab") || "all";
    void get<SamplePage>(`/api/datasets/${datasetId}/samples${query({ tab, limit: 50 })}`).then((page) => {
      neighbours = page.items.map((s) => s.id);
      el.replaceChildren(...page.items.map((s) => h("a", { href: `#/datasets/${datasetId}/label/${s.id}${query({ tab, job: q.get("job"), from: q.get("from") })}`, class: s.id === sampleId ? "current" : "", title: s.file_name },
        s.media_status === "ready" ? h("img", { src: `/api/media/datasets/${datasetId}/samples/${s.id}/thumbnail`, loading: "lazy", alt: s.file_name }) : h("span", { class: "no-thumb" }, s.file_name))));
    }).catch(() => undefined);
    return el;
  }
}

function shortcuts(canWrite: boolean): HTMLElement {
  const lines = canWrite
    ? ["P polygon · R rectangle · C circle · L polyline · O point · T rotated rectangle · V drag", "Click the first point to close a polygon; Enter or double-click ends a polyline",
      "Ctrl+Z undo · Ctrl+Y redo · Ctrl+S save", "Delete removes the selected shape · Esc cancels · [ ] rotate the selected rotated rectangle"]
    : [];
  return h("details", { class: "shortcuts" }, h("summary", {}, "Keyboard shortcuts"), h("ul", {},
    ...[...lines, "+ / − zoom · 0 fit · wheel zoom · Space+drag or right-drag pan", "← → previous / next image", "H show/hide shapes · F full screen",
      "Video: K play/pause · ← → one frame"].map((t) => h("li", {}, t))));
}

/** Reads of a file that may be new: dataset-svc and labeling-svc learn of a new file from events, so either may not
know it for a moment. On 404 the page says it waits and reads again when that service announces the file (or the
stream reconnects), never on a timer; after ARRIVAL_TIMEOUT_MS it fails with a plain error. */
function arrival(root: HTMLElement, live: LiveFanout, sampleId: string) {
  const note = h("p", { class: "muted", "data-testid": "waiting-for-sample" }, "This file has not reached the server yet (just added?); waiting for it…");
  const read = <T>(service: Service, path: string): Promise<T> => whenArrived({
    load: () => get<T>(path),
    missing: (e) => e instanceof ApiError && e.status === 404,
    listen: live.listen,
    mayBeThere: (e) => mayKnow(service, sampleId, e),
    timeoutMs: ARRIVAL_TIMEOUT_MS,
    waiting: () => { if (!note.isConnected) root.append(note); },
  }).catch((e) => { note.remove(); throw e instanceof NotArrivedError ? new Error(`the file did not arrive within ${ARRIVAL_TIMEOUT_MS / 1000} s (it may have been deleted); reload to try again`) : e; });
  return Object.assign(read, { arrived: () => note.remove() });
}
