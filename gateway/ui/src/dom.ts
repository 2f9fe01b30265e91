// A few DOM helpers: element builder, dialogs, toasts.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && k !== "list" && typeof v !== "string") (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

export function clear(el: Element): void { el.replaceChildren(); }

export function toast(message: string, kind: "info" | "error" = "info"): void {
  const box = document.getElementById("toasts") || document.body.appendChild(h("div", { id: "toasts" }));
  const t = h("div", { class: `toast ${kind}`, role: "status" }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 3500);
}

/** A modal dialog; resolves with the value of the button pressed (null when dismissed). */
export function dialog<T>(title: string, body: Node, buttons: { label: string; value: T; primary?: boolean; danger?: boolean }[]): Promise<T | null> {
  return new Promise((resolve) => {
    const d = h("dialog", { class: "dialog", "aria-label": title });
    const done = (v: T | null) => { d.close(); d.remove(); resolve(v); };
    const row = h("div", { class: "buttons" }, ...buttons.map((b) =>
      h("button", { class: b.primary ? "primary" : b.danger ? "danger" : "", onclick: () => done(b.value) }, b.label)));
    d.append(h("h2", {}, title), body, row);
    d.addEventListener("cancel", (e) => { e.preventDefault(); done(null); });
    // Enter in a text field presses the primary button
    d.addEventListener("keydown", (e) => {
      const primary = buttons.find((b) => b.primary);
      if (e.key === "Enter" && primary && ["INPUT", "SELECT"].includes((e.target as HTMLElement).tagName)) { e.preventDefault(); done(primary.value); }
    });
    document.body.append(d);
    d.showModal();
  });
}

export const confirmDialog = (title: string, text: string, yes = "Yes", no = "No") =>
  dialog(title, h("p", {}, text), [{ label: no, value: false }, { label: yes, value: true, primary: true }]).then((v) => v === true);

export function formatDate(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "";
}

export function labelChip(name: string, color: string, count?: number): HTMLElement {
  return h("span", { class: "chip", title: name }, h("i", { style: { background: color } }), name, count !== undefined ? h("b", {}, count) : null);
}
