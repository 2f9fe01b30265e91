// An endpoint's delivery log, newest first, a page at a time (the API's cursor in the URL: reload, back and shared
// links show the same page), with Redeliver per delivery. While a delivery shown is open (pending or retrying) the
// page reads the log again every 2 s, as the sync run's progress does, until each one is delivered or dead.
import { DeliveryStatus, Page, Webhook, WebhookDelivery, get, post, query } from "../../api";
import { formatDate, h, toast } from "../../dom";
import { describeError } from "../../errors";
import { PageHandle, navigate } from "../../nav";
import { STATUS_NAMES, lastResult, nextAttempt, statusClass, statusText } from "./deliveryStatus";
import { refusal } from "./forms";
import { adminShell } from "./shell";
import { eventTypesText, hookPath } from "./webhooks";

const PAGE_SIZE = 20;
const FOLLOW_MS = 2000;

export async function deliveriesPage(root: HTMLElement, p: Record<string, string>, q: URLSearchParams): Promise<PageHandle | void> {
  if (!adminShell(root, "webhooks")) return;
  const endpoint = await get<Webhook>(hookPath(p.webhook));
  const here = `/admin/webhooks/${endpoint.id}`;
  const cursor = q.get("cursor");
  const status = (q.get("status") || null) as DeliveryStatus | null;
  const body = h("tbody");
  const problem = h("p", { class: "error", role: "alert" });
  const none = h("p", { class: "muted", hidden: true }, "No delivery here yet: events the endpoint subscribes to, and tests, show up here.");
  const older = h("button", { hidden: true, "data-testid": "older" }, "Older");
  const filter = h("select", { "aria-label": "Status", onchange: () => navigate(`${here}${query({ status: filter.value })}`) },
    h("option", { value: "" }, "Every status"),
    ...Object.entries(STATUS_NAMES).map(([v, t]) => h("option", { value: v, selected: v === status }, t)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let gone = false;
  async function load(): Promise<void> {
    clearTimeout(timer);
    const page = await get<Page<WebhookDelivery>>(`${hookPath(endpoint.id)}/deliveries${query({ status, limit: PAGE_SIZE, cursor })}`);
    if (gone) return;
    body.replaceChildren(...page.items.map((d) => deliveryRow(d, endpoint.id, follow)));
    none.hidden = page.items.length > 0;
    older.hidden = !page.next_cursor;
    older.onclick = () => navigate(`${here}${query({ status, cursor: page.next_cursor })}`);
    if (page.items.some((d) => d.status === "pending" || d.status === "retrying")) follow();
  }
  function follow(): void {
    clearTimeout(timer);
    if (!gone) timer = setTimeout(() => load().catch((e) => { problem.textContent = describeError(e, "Could not read the log"); }), FOLLOW_MS);
  }
  const ping = h("button", { "data-testid": "ping", onclick: async () => {
    problem.textContent = "";
    try { await post(`${hookPath(endpoint.id)}/ping`); toast("Test delivery queued"); await load(); }
    catch (e) { problem.textContent = refusal(e, "Could not send a test", []).general; }
  } }, "Send test");
  const refresh = h("button", { "data-testid": "refresh", onclick: () => load().catch((e) => { problem.textContent = describeError(e, "Could not read the log"); }) }, "Refresh");
  root.append(h("div", { class: "pagehead" }, h("a", { href: "#/admin/webhooks", class: "back" }, "Webhooks"),
    h("h1", {}, "Delivery log"), h("span", { class: "mono" }, endpoint.url), h("span", { class: "spacer" }),
    filter, refresh, ping, h("a", { class: "button", href: `#${here}/edit` }, "Edit")),
  h("p", { class: "muted" }, `${endpoint.active ? "Active" : "Paused"}; gets ${eventTypesText(endpoint.event_types)}.`),
  problem,
  h("table", { class: "list", "data-testid": "deliveries" }, h("thead", {}, h("tr", {},
    h("th", {}, "Event"), h("th", {}, "Status"), h("th", {}, "Last answer"), h("th", {}, "Next attempt"),
    h("th", {}, "Created"), h("th", {}, "Last attempt"), h("th", {}, ""))), body),
  none,
  h("div", { class: "pager" }, cursor ? h("a", { class: "button", href: `#${here}${query({ status })}` }, "Newest") : null, older));
  await load();
  return { cleanup: () => { gone = true; clearTimeout(timer); } };
}

function deliveryRow(d: WebhookDelivery, endpointId: string, follow: () => void): HTMLElement {
  const problem = h("div", { class: "error small", role: "alert" });
  const redeliver = h("button", { "data-testid": "redeliver", onclick: async () => {
    problem.textContent = "";
    redeliver.disabled = true;
    try {
      const again = await post<WebhookDelivery>(`${hookPath(endpointId)}/deliveries/${encodeURIComponent(d.id)}/redeliver`);
      row.replaceWith(deliveryRow(again, endpointId, follow));
      follow();
    } catch (e) { problem.textContent = refusal(e, "Could not redeliver", []).general; redeliver.disabled = false; }
  } }, "Redeliver");
  const row = h("tr", { "data-delivery": d.id, "data-status": d.status },
    h("td", {}, h("b", {}, d.event_type), h("div", { class: "mono small", title: "the event's id and key (what it is about)" }, d.event_id, h("br"), d.key)),
    h("td", {}, h("span", { class: statusClass(d.status), "data-testid": "delivery-status" }, statusText(d))),
    h("td", { class: "small" }, lastResult(d)), h("td", {}, nextAttempt(d, Date.now())),
    h("td", {}, formatDate(d.created_at)), h("td", {}, formatDate(d.last_attempt_at)),
    h("td", {}, redeliver, problem));
  return row;
}
