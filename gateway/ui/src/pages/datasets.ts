import { Dataset, LabelingType, Page, currentUser, get, post } from "../api";
import { dialog, formatDate, h, toast } from "../dom";
import { describeError } from "../errors";
import { navigate } from "../nav";

export const TYPE_NAMES: Record<LabelingType, string> = {
  image_segmentation: "Image segmentation",
  video_labeling: "Video labeling",
  object_detection: "Object detection",
};

export async function datasetsPage(root: HTMLElement): Promise<void> {
  const list = h("tbody");
  const admin = currentUser()?.role === "admin";
  root.append(
    h("div", { class: "pagehead" }, h("h1", {}, "Datasets"), h("span", { class: "spacer" }),
      admin ? h("button", { class: "primary", onclick: () => createDataset() }, "Create dataset") : null),
    h("table", { class: "list", "data-testid": "datasets" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Labeling type"), h("th", {}, "Input path"), h("th", {}, "Created"))),
      list));
  let cursor: string | null = null;
  const more = h("button", { onclick: () => void load() }, "More");
  root.append(more);
  async function load(): Promise<void> {
    const page = await get<Page<Dataset>>(`/api/datasets?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const d of page.items) {
      list.append(h("tr", {},
        h("td", {}, h("a", { href: `#/datasets/${d.id}` }, d.name)),
        h("td", {}, TYPE_NAMES[d.labeling_type]),
        h("td", { class: "mono" }, `${d.input_path.bucket}/${d.input_path.prefix}`),
        h("td", {}, formatDate(d.created_at))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  await load();
}

async function createDataset(): Promise<void> {
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const type = h("select", { name: "labeling_type" },
    ...Object.entries(TYPE_NAMES).map(([v, t]) => h("option", { value: v }, t)));
  const input = h("input", { name: "input_path", placeholder: "bucket/prefix/", required: true });
  const output = h("input", { name: "output_path", placeholder: "bucket/prefix/out/" });
  const description = h("textarea", { name: "description", rows: 2 });
  const error = h("p", { class: "error" });
  const form = h("div", { class: "form" },
    h("label", {}, "Name", name), h("label", {}, "Labeling type", type),
    h("label", {}, "Input dataset path", input), h("label", {}, "Output dataset path", output),
    h("label", {}, "Description", description), error);
  for (;;) {
    const ok = await dialog("Create dataset", form, [{ label: "Cancel", value: false }, { label: "Create", value: true, primary: true }]);
    if (!ok) return;
    const path = (s: string) => { const [bucket, ...rest] = s.trim().replace(/^s3:\/\//, "").split("/"); const prefix = rest.join("/"); return { bucket, prefix: prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix }; };
    const inPath = path(input.value);
    const outPath = output.value.trim() ? path(output.value) : { bucket: inPath.bucket, prefix: `${inPath.prefix}output/` };
    try {
      const d = await post<Dataset>("/api/datasets", { name: name.value, description: description.value, labeling_type: type.value, input_path: inPath, output_path: outPath });
      toast(`Dataset ${d.name} created`);
      navigate(`/datasets/${d.id}/samples`);
      return;
    } catch (e) { error.textContent = describeError(e, "Could not create the dataset"); }
  }
}
