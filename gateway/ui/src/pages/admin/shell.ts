// What every admin page starts with: the admins-only gate and the tabs between the admin pages.
import { currentUser } from "../../api";
import { h } from "../../dom";
import { Problems } from "./forms";

const TABS = [["users", "Users"], ["webhooks", "Webhooks"]] as const;
export type AdminTab = (typeof TABS)[number][0];

/** Appends the admin tabs and returns true for an admin; for anyone else says the page is for admins only (the API
 * would refuse them anyway) and returns false. */
export function adminShell(root: HTMLElement, active: AdminTab): boolean {
  const user = currentUser();
  if (user?.role !== "admin") {
    root.append(h("div", { class: "card", "data-testid": "admins-only" },
      h("h1", {}, "Admins only"),
      h("p", {}, `The admin pages are for admins; you are logged in as ${user?.username ?? "nobody"} (${user?.role ?? "no role"}).`),
      h("a", { href: "#/datasets" }, "Back to the datasets")));
    return false;
  }
  root.append(h("nav", { class: "tabs admin-tabs", "aria-label": "Admin" }, ...TABS.map(([tab, name]) =>
    h("a", { href: `#/admin/${tab}`, class: tab === active ? "active" : "", "data-tab": tab }, name))));
  return true;
}

/** A labelled field with a place for its problem under it (`data-problem` names the field for tests). */
export function field(label: string, input: HTMLElement, name: string): { el: HTMLElement; problem: HTMLElement } {
  const problem = h("small", { class: "error", "data-problem": name, role: "alert" });
  return { el: h("label", {}, label, input, problem), problem };
}

/** Shows `p` in the problem slots by field name, the rest in `general`. */
export function showProblems(p: Problems, slots: Record<string, HTMLElement>, general: HTMLElement): void {
  for (const [name, slot] of Object.entries(slots)) slot.textContent = p.fields[name] ?? "";
  general.textContent = p.general ?? "";
}
