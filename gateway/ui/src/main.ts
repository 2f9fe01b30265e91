// Labelstream web UI: hash routes -> pages.
import "./styles.css";
import { currentUser, logout, refresh, setUnauthenticatedHandler, tokenExpiresInMs } from "./api";
import { h, toast } from "./dom";
import { loginPage } from "./pages/login";
import { passwordPage } from "./pages/password";
import { datasetsPage } from "./pages/datasets";
import { dashboardPage } from "./pages/dashboard";
import { samplesPage } from "./pages/samples";
import { jobsPage, jobPage } from "./pages/jobs";
import { labelPage } from "./pages/label";
import { usersPage } from "./pages/admin/users";
import { webhooksPage } from "./pages/admin/webhooks";
import { webhookFormPage } from "./pages/admin/webhookForm";
import { deliveriesPage } from "./pages/admin/deliveries";
import { closeLive } from "./live";
import { describeError } from "./errors";
import { PageHandle, navigate, setLeaveGuard, takeLeaveGuard } from "./nav";

type Cleanup = () => void;
type Result = Cleanup | PageHandle | void;
type Page = (root: HTMLElement, params: Record<string, string>, q: URLSearchParams) => Promise<Result> | Result;

const routes: [RegExp, string[], Page][] = [
  [/^\/login$/, [], loginPage],
  [/^\/datasets$/, [], datasetsPage],
  [/^\/datasets\/([^/]+)$/, ["dataset"], dashboardPage],
  [/^\/datasets\/([^/]+)\/samples$/, ["dataset"], samplesPage],
  [/^\/datasets\/([^/]+)\/label\/([^/]+)$/, ["dataset", "sample"], labelPage],
  [/^\/jobs$/, [], jobsPage],
  [/^\/jobs\/([^/]+)$/, ["job"], jobPage],
  [/^\/password$/, [], passwordPage],
  // admins only: each page says so to anyone else (and the API refuses them)
  [/^\/admin(?:\/users)?$/, [], usersPage],
  [/^\/admin\/webhooks$/, [], webhooksPage],
  [/^\/admin\/webhooks\/new$/, [], webhookFormPage],
  [/^\/admin\/webhooks\/([^/]+)\/edit$/, ["webhook"], webhookFormPage],
  [/^\/admin\/webhooks\/([^/]+)$/, ["webhook"], deliveriesPage],
];

let cleanup: Cleanup | void;
let update: PageHandle["update"];

let current = "";
let renders = 0;
async function render(): Promise<void> {
  const hash = location.hash.slice(1) || "/datasets";
  if (hash === current) return;
  // The same page with another query (its state in the URL): the page takes it without being built again.
  if (update && hash.split("?")[0] === current.split("?")[0]) {
    current = hash;
    await update(new URLSearchParams(hash.split("?")[1] || ""));
    return;
  }
  const guard = takeLeaveGuard();
  if (guard && !(await guard())) { history.replaceState(null, "", `#${current}`); setLeaveGuard(guard); return; }
  current = hash;
  const [path, search = ""] = hash.split("?");
  if (!currentUser() && path !== "/login") { navigate(`/login?next=${encodeURIComponent(hash)}`); return; }
  if (cleanup) cleanup();
  cleanup = undefined;
  update = undefined;
  closeLive();
  const root = document.getElementById("app")!;
  root.replaceChildren(path === "/login" ? "" : header());
  const main = h("main", { id: "page" });
  root.append(main);
  for (const [pattern, names, page] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    const seq = ++renders;
    try {
      const result = await page(main, params, new URLSearchParams(search));
      const done = typeof result === "function" ? result : result?.cleanup;
      // another page was asked for while this one loaded: this one is gone, the other's handles stay
      if (seq !== renders) { done?.(); return; }
      cleanup = done;
      update = typeof result === "object" ? result.update : undefined;
    } catch (e) { main.append(h("p", { class: "error" }, describeError(e, "Could not load the page"))); }
    return;
  }
  main.append(h("p", {}, "Nothing here. ", h("a", { href: "#/datasets" }, "Datasets")));
}

function header(): HTMLElement {
  const user = currentUser();
  return h("header", { class: "topbar" },
    h("a", { class: "brand", href: "#/datasets" }, "Labelstream"),
    h("nav", {}, h("a", { href: "#/datasets" }, "Datasets"), h("a", { href: "#/jobs" }, "Labeling jobs"),
      user?.role === "admin" ? h("a", { href: "#/admin/users", "data-testid": "nav-admin" }, "Admin") : null),
    h("span", { class: "spacer" }),
    user ? h("span", { class: "who", "data-testid": "who" }, `${user.username} (${user.role})`) : null,
    h("a", { href: "#/password", "data-testid": "change-password" }, "Password"),
    h("button", { class: "link", onclick: async () => { await logout(); navigate("/login"); } }, "Log out"));
}

setUnauthenticatedHandler(() => {
  toast("Your session ended: log in again", "error");
  navigate(`/login?next=${encodeURIComponent(location.hash.slice(1))}`);
});
// Tokens are short-lived: refresh before they expire while the UI is open.
setInterval(() => {
  const left = tokenExpiresInMs();
  if (currentUser() && left > 0 && left < 5 * 60_000) refresh().catch(() => undefined);
}, 30_000);

window.addEventListener("hashchange", () => void render());
void render();
