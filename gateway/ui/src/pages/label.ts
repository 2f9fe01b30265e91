// The labeling page of one sample: image editor, or video player with pause-to-label; toolbar, label picker,
// File Labels panel, save with revision checks (409 offers a reload, 422 marks the shape at fault).
import { Annotation, ApiError, Dataset, Label, Sample, SamplePage, Shape, annotationPath, currentUser, get, post, query, request } from "../api";
import { dialog, h, toast } from "../dom";
import { openLive } from "../live";
import { navigate, setLeaveGuard } from "../nav";
import { CanvasEditor, Tool } from "../editor/canvas";
import { labelsOf } from "./samples";
import { VideoStage } from "../editor/video";

const TOOLS: [Tool, string, string, string][] = [
  ["polygon", "⬠", "Polygon (P)", "p"], ["rectangle", "▭", "Rectangle (R)", "r"], ["circle", "◯", "Circle (C)", "c"],
  ["polyline", "⌁", "Polyline (L)", "l"], ["point", "•", "Point (O)", "o"], ["rotated_rectangle", "⬚", "Rotated rectangle (T)", "t"],
  ["drag", "✥", "Drag a shape or a vertex (V)", "v"],
];
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990"];

export async function labelPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<() => void> {
  const datasetId = p.dataset, sampleId = p.sample;
  const [dataset, sample] = await Promise.all([get<Dataset>(`/api/datasets/${datasetId}`), get<Sample>(`/api/datasets/${datasetId}/samples/${sampleId}`)]);
  let labels: Label[] = await labelsOf(datasetId, dataset.labels);
  let annotation = await annotationWhenKnown(root, datasetId, sampleId);
  const canWrite = currentUser()?.role !== "viewer";
  const isVideo = sample.media_kind === "video";
  const back = q.get("job") ? `/jobs/${q.get("job")}` : `/datasets/${datasetId}/samples${query({ tab: q.get("tab") })}`;
  let dirty = false;
  let neighbours: string[] = []; // the samples of the strip below, for ← and →
  let lastLabel = labels[0]?.name || "";

  const colorOf = (name: string) => labels.find((l) => l.name === name)?.color || "#9aa0a6";
  const status = h("span", { class: "muted", "data-testid": "status" });
  const editor = new CanvasEditor({ colorOf, pickLabel: (s) => pickLabel(s.label || lastLabel), changed: () => { dirty = true; refreshPanel(); } });
  (window as unknown as { labelstreamEditor: CanvasEditor }).labelstreamEditor = editor;
  const toolKey = `labelstream.tool.${dataset.labeling_type}`;
  editor.tool = (localStorage.getItem(toolKey) as Tool) || (dataset.labeling_type === "image_segmentation" ? "polygon" : "rectangle");

  // --- label picker: existing label, or add one with name and colour -------------------------------------
  async function pickLabel(current: string, title = "Label"): Promise<string | null> {
    const select = h("select", { name: "label", "aria-label": "Existing label" }, h("option", { value: "" }, "— new label —"),
      ...labels.map((l) => h("option", { value: l.name, selected: l.name === current }, l.name)));
    const name = h("input", { name: "new_label", placeholder: "New label name", "aria-label": "New label name", maxlength: 100 });
    const color = h("input", { type: "color", name: "color", "aria-label": "Label colour", value: PALETTE[labels.length % PALETTE.length] });
    name.addEventListener("input", () => { if (name.value) select.value = ""; });
    const body = h("div", { class: "form" }, h("label", {}, "Label", select), h("div", { class: "row" }, h("label", {}, "Add label", name), h("label", {}, "Colour", color)));
    setTimeout(() => (labels.length && !name.value ? select : name).focus(), 0);
    const ok = await dialog(title, body, [{ label: "Cancel", value: false }, { label: "Add", value: true, primary: true }]);
    if (!ok) return null;
    const chosen = name.value.trim() || select.value;
    if (!chosen) return null;
    if (!labels.some((l) => l.name === chosen)) {
      try { await post(`/api/labeling/datasets/${datasetId}/labels`, { name: chosen, color: color.value }); }
      catch (e) { if (!(e instanceof ApiError && e.status === 409)) { toast(`Could not add the label: ${(e as Error).message}`, "error"); return null; } }
      labels = await labelsOf(datasetId, [...labels, { name: chosen, color: color.value }]);
    }
    lastLabel = chosen;
    return chosen;
  }

  // --- save, 409 and 422 -------------------------------------------------------------------------------------
  const video = isVideo ? new VideoStage(datasetId, sample, editor, () => { refreshPanel(); }) : null;
  function allShapes(): Shape[] { return video ? video.allShapes() : editor.shapes; }
  async function save(): Promise<boolean> {
    const shapes = allShapes().map((s) => ({ shape_id: s.shape_id, kind: s.kind, label: s.label, points: s.points, rotation: s.rotation ?? null,
      time_point_s: s.time_point_s ?? null, frame_index: s.frame_index ?? null, object_id: s.object_id ?? null }));
    try {
      annotation = await request<Annotation>("PUT", annotationPath(datasetId, sampleId), { shapes }, { "If-Match": `"${annotation.revision}"` });
      dirty = false;
      editor.errors.clear();
      editor.originals = new Map(editor.shapes.map((s) => [s.shape_id, s]));
      status.textContent = `Saved (revision ${annotation.revision})`;
      toast("Saved");
      refreshPanel();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const reload = await dialog("Changed by someone else", h("p", {}, "This file was saved by someone else since you opened it. Reload it (your changes are lost) or keep editing?"),
          [{ label: "Keep editing", value: false }, { label: "Reload", value: true, primary: true }]);
        if (reload) await reloadAnnotation();
      } else if (e instanceof ApiError && e.status === 422) {
        showProblems(e);
      } else toast(`Not saved: ${(e as Error).message}`, "error");
      return false;
    }
  }
  function showProblems(e: ApiError): void {
    editor.errors.clear();
    const details = Array.isArray(e.body.details) ? (e.body.details as { shape_id?: string; shape_index?: number; rule?: string; message?: string }[]) : [];
    const all = allShapes();
    for (const d of details) {
      const shape = all.find((s) => s.shape_id === d.shape_id) || (d.shape_index !== undefined && d.shape_index !== null ? all[d.shape_index] : undefined);
      const i = shape ? editor.shapes.indexOf(shape) : -1;
      if (i >= 0) editor.errors.set(i, `${d.rule}: ${d.message}`);
    }
    status.textContent = `Not saved: ${e.message}`;
    status.className = "error";
    toast(`Not saved: ${e.message}`, "error");
    editor.request();
    refreshPanel();
  }
  async function reloadAnnotation(): Promise<void> {
    annotation = await get<Annotation>(annotationPath(datasetId, sampleId));
    if (video) video.load(annotation.shapes); else editor.load(annotation.shapes);
    dirty = false;
    status.textContent = `Reloaded (revision ${annotation.revision})`;
    refreshPanel();
  }
  async function leave(): Promise<boolean> {
    if (!dirty || !canWrite) return true;
    const answer = await dialog("Back to data labeling preview", h("p", {}, "Save the labeling of this file?"),
      [{ label: "Cancel", value: "cancel" }, { label: "No", value: "no" }, { label: "Yes", value: "yes", primary: true }]);
    if (answer === "yes") return save();
    return answer === "no";
  }
  setLeaveGuard(leave);

  // --- toolbar ------------------------------------------------------------------------------------------------
  const toolButtons = new Map<Tool, HTMLButtonElement>();
  const setTool = (t: Tool) => {
    editor.tool = t;
    localStorage.setItem(toolKey, t);
    toolButtons.forEach((b, k) => b.classList.toggle("active", k === t));
  };
  const button = (icon: string, title: string, action: () => void, testid?: string) =>
    h("button", { class: "tool", title, "aria-label": title, "data-testid": testid, onclick: action }, icon);
  const toolbar = h("div", { class: "toolbar", role: "toolbar" },
    ...TOOLS.map(([t, icon, title]) => { const b = button(icon, title, () => setTool(t), `tool-${t}`); toolButtons.set(t, b); return b; }),
    h("hr"),
    button("↶", "Undo (Ctrl+Z)", () => editor.undo(), "undo"),
    button("↷", "Redo (Ctrl+Y)", () => editor.redo(), "redo"),
    button("+", "Zoom in (+)", () => editor.zoomAt(1.25), "zoom-in"),
    button("−", "Zoom out (-)", () => editor.zoomAt(0.8), "zoom-out"),
    button("⌫", "Delete all shapes on this image", () => editor.deleteAll(), "delete-all"),
    button("◐", "Show or hide shapes (H)", () => editor.toggleVisible(), "toggle-shapes"),
    button("⟲", "Reset the selected shape", () => editor.resetSelected(), "reset-shape"),
    button("⤢", "Full screen (F)", () => fullScreen(), "full-screen"));
  setTool(editor.tool);
  const stage = h("div", { class: "stage" });
  const layout = h("div", { class: "editor" }, toolbar, stage, h("aside", { class: "panel" }));
  const panel = layout.lastElementChild as HTMLElement;
  const fullScreen = () => { if (document.fullscreenElement) void document.exitFullscreen(); else void layout.requestFullscreen(); };

  root.append(
    h("div", { class: "pagehead" },
      h("button", { class: "back", "data-testid": "back", onclick: async () => { if (await leave()) { setLeaveGuard(null); navigate(back); } } }, "‹ Back to data labeling preview"),
      h("h1", { class: "file" }, sample.file_name), status, h("span", { class: "spacer" }),
      canWrite ? h("button", { class: "primary", "data-testid": "save", onclick: () => void save() }, "Save") : null),
    layout, strip());

  // --- File Labels panel ----------------------------------------------------------------------------------
  function refreshPanel(): void {
    if (video) { video.renderPanel(panel, { colorOf, edit: editLabel, remove: removeShape, save }); return; }
    const counts = new Map<string, number>();
    editor.shapes.forEach((s) => counts.set(s.label, (counts.get(s.label) || 0) + 1));
    panel.replaceChildren(
      h("h2", {}, "File Labels"),
      h("div", { class: "chips", "data-testid": "file-label-counts" }, ...[...counts].map(([n, c]) => h("span", { class: "chip" }, h("i", { style: { background: colorOf(n) } }), n, h("b", {}, c),
        canWrite ? h("button", { class: "icon", title: "Rename or recolour this label everywhere", "aria-label": `Rename label ${n}`, onclick: () => void renameLabel(n) }, "✎") : null))),
      hardExample(),
      h("ul", { class: "shapes", "data-testid": "file-labels" }, ...editor.shapes.map((s, i) => h("li", {
        class: `${i === editor.selected ? "selected" : ""}${editor.errors.has(i) ? " invalid" : ""}`, "data-label": s.label,
        onclick: () => { editor.selected = i; editor.request(); refreshPanel(); } },
        h("i", { class: "swatch", style: { background: colorOf(s.label) } }), h("span", {}, s.label), h("span", { class: "muted" }, s.kind),
        editor.errors.has(i) ? h("span", { class: "error" }, editor.errors.get(i)!) : null,
        canWrite ? h("button", { class: "icon", title: "Edit label", "aria-label": `Edit label ${s.label}`, onclick: (e: Event) => { e.stopPropagation(); void editLabel(s); } }, "✎") : null,
        canWrite ? h("button", { class: "icon", title: "Delete", "aria-label": `Delete ${s.label}`, onclick: (e: Event) => { e.stopPropagation(); removeShape(s); } }, "✕") : null))),
      editor.shapes.length ? "" : h("p", { class: "muted" }, "No shapes yet: pick a tool and draw."),
      h("p", { class: "muted small" }, `Revision ${annotation.revision}${annotation.labeled_by ? ` · labeled by ${annotation.labeled_by}` : ""}`),
      shortcuts());
  }
  function hardExample(): HTMLElement {
    const box = h("input", { type: "checkbox", checked: annotation.hard_example, disabled: !canWrite, "data-testid": "hard-example", onchange: async () => {
      try {
        annotation = await request<Annotation>("PUT", `${annotationPath(datasetId, sampleId)}/hard-example`, { hard_example: box.checked }, { "If-Match": `"${annotation.revision}"` });
        status.textContent = `Saved (revision ${annotation.revision})`;
      } catch (e) { box.checked = !box.checked; toast(`Not saved: ${(e as Error).message}`, "error"); }
    } });
    return h("label", { class: "check" }, box, "Hard example");
  }
  /** Rename and/or recolour a label in the whole dataset (every shape of it, on every sample). */
  async function renameLabel(name: string): Promise<void> {
    if (dirty && !(await save())) return;
    const newName = h("input", { name: "rename", value: name, "aria-label": "Label name", maxlength: 100 });
    const color = h("input", { type: "color", name: "recolor", "aria-label": "Label colour", value: colorOf(name) });
    const ok = await dialog("Edit label", h("div", { class: "form" }, h("label", {}, "Name", newName), h("label", {}, "Colour", color),
      h("p", { class: "muted" }, "The change applies to every file of the dataset.")), [{ label: "Cancel", value: false }, { label: "Save", value: true, primary: true }]);
    if (!ok) return;
    try {
      await request("PATCH", `/api/labeling/datasets/${datasetId}/labels/${encodeURIComponent(name)}`, { name: newName.value.trim() === name ? null : newName.value.trim(), color: color.value });
      labels = await labelsOf(datasetId, []);
      await reloadAnnotation();
    } catch (e) { toast(`Not changed: ${(e as Error).message}`, "error"); }
  }
  async function editLabel(s: Shape): Promise<void> {
    const label = await pickLabel(s.label, "Edit label");
    const i = editor.shapes.indexOf(s);
    if (label && i >= 0 && label !== s.label) editor.replaceShape(i, { ...s, label });
  }
  function removeShape(s: Shape): void { editor.removeShapes((x) => x === s); }

  // --- the picture ------------------------------------------------------------------------------------------
  if (video) {
    stage.append(video.el);
    video.mount(editor);
    video.load(annotation.shapes);
  } else {
    stage.append(editor.canvas);
    const img = new Image();
    img.decoding = "async";
    img.src = `/api/files/datasets/${datasetId}/samples/${sampleId}`;
    await img.decode().catch(() => undefined);
    if (!img.naturalWidth) toast("The image could not be loaded", "error");
    editor.setPicture(img, img.naturalWidth || sample.media?.width || 800, img.naturalHeight || sample.media?.height || 600);
    editor.load(annotation.shapes);
  }
  refreshPanel();
  status.textContent = `Revision ${annotation.revision}`;

  // --- keyboard shortcuts -------------------------------------------------------------------------------------
  const keys = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement)?.closest?.("input, textarea, select, dialog")) return;
    const k = e.key.toLowerCase(), ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && k === "z" && !e.shiftKey) { e.preventDefault(); editor.undo(); }
    else if (ctrl && (k === "y" || (k === "z" && e.shiftKey))) { e.preventDefault(); editor.redo(); }
    else if (ctrl && k === "s") { e.preventDefault(); void save(); }
    else if (ctrl) return;
    else if (k === "+" || k === "=") editor.zoomAt(1.25);
    else if (k === "-") editor.zoomAt(0.8);
    else if (k === "0") editor.fit();
    else if (k === "h") editor.toggleVisible();
    else if (k === "f") fullScreen();
    else if (video && video.key(e)) e.preventDefault();
    else if (!video && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      const at = neighbours.indexOf(sampleId), next = neighbours[at + (e.key === "ArrowRight" ? 1 : -1)];
      if (at >= 0 && next) navigate(`/datasets/${datasetId}/label/${next}${query({ tab: q.get("tab"), job: q.get("job") })}`);
    }
    else { const t = TOOLS.find((x) => x[3] === k); if (t) setTool(t[0]); }
  };
  window.addEventListener("keydown", keys);
  const unsaved = (e: BeforeUnloadEvent) => { if (dirty && canWrite) e.preventDefault(); };
  window.addEventListener("beforeunload", unsaved);
  openLive(datasetId, (e) => {
    if (e.type === "LabelChanged" && e.sample_id === sampleId && (e.revision || 0) > annotation.revision && e.labeled_by !== currentUser()?.username) {
      toast(`${e.labeled_by || "Someone"} changed this file (revision ${e.revision}); saving will offer a reload.`);
    }
  });
  return () => { window.removeEventListener("keydown", keys); window.removeEventListener("beforeunload", unsaved); editor.destroy(); video?.destroy(); setLeaveGuard(null); };

  function strip(): HTMLElement {
    const el = h("div", { class: "strip", "data-testid": "strip" });
    const tab = q.get("tab") || "all";
    void get<SamplePage>(`/api/datasets/${datasetId}/samples${query({ tab, limit: 50 })}`).then((page) => {
      neighbours = page.items.map((s) => s.id);
      el.replaceChildren(...page.items.map((s) => h("a", { href: `#/datasets/${datasetId}/label/${s.id}${query({ tab, job: q.get("job") })}`, class: s.id === sampleId ? "current" : "", title: s.file_name },
        h("img", { src: `/api/media/datasets/${datasetId}/samples/${s.id}/thumbnail`, loading: "lazy", alt: s.file_name }))));
    }).catch(() => undefined);
    return el;
  }
}

function shortcuts(): HTMLElement {
  return h("details", { class: "shortcuts" }, h("summary", {}, "Keyboard shortcuts"), h("ul", {},
    ...["P polygon · R rectangle · C circle · L polyline · O point · T rotated rectangle · V drag", "Click the first point to close a polygon; Enter or double-click ends a polyline",
      "Ctrl+Z undo · Ctrl+Y redo · Ctrl+S save", "+ / − zoom · 0 fit · wheel zoom · Space+drag or right-drag pan", "Delete removes the selected shape · Esc cancels · ← → previous / next image", "[ ] rotate the selected rotated rectangle",
      "H show/hide shapes · F full screen", "Video: K play/pause · ← → one frame"].map((t) => h("li", {}, t))));
}

/** The sample's annotation; labeling-svc learns of new samples from events, so a fresh one may be unknown there for
a moment: wait for it (saying so) rather than fail. */
async function annotationWhenKnown(root: HTMLElement, datasetId: string, sampleId: string): Promise<Annotation> {
  const note = h("p", { class: "muted" });
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await get<Annotation>(annotationPath(datasetId, sampleId));
      note.remove();
      return found;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404) || attempt >= 120) throw e;
      if (!note.isConnected) root.append(note);
      note.textContent = "This file is not ready for labeling yet; waiting for it…";
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
