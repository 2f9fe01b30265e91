// Admin > Webhooks: the registered endpoints with their newest delivery, "Send test", delete, and the option that
// lets endpoints be on loopback or private addresses (webhook-svc's SSRF guard).
import { Page, Webhook, WebhookDelivery, WebhookSettings, del, get, post, put, query } from "../../api";
import { confirmDialog, h, toast } from "../../dom";
import { describeError } from "../../errors";
import { lastDeliveryText, statusClass } from "./deliveryStatus";
import { refusal } from "./forms";
import { adminShell } from "./shell";

export const HOOKS = "/api/webhooks";
export const hookPath = (id: string) => `${HOOKS}/${encodeURIComponent(id)}`;
export const eventTypesText = (types: string[]) => (types.includes("*") ? "every event" : types.join(", "));

export async function webhooksPage(root: HTMLElement): Promise<void> {
  if (!adminShell(root, "webhooks")) return;
  const body = h("tbody");
  const none = h("p", { class: "muted", hidden: true }, "No endpoint yet: register one to have events POSTed to it.");
  const more = h("button", { hidden: true, onclick: () => load().catch((e) => toast(describeError(e, "Could not list more endpoints"), "error")) }, "More");
  let cursor: string | null = null;
  async function load(): Promise<void> {
    const page = await get<Page<Webhook>>(`${HOOKS}${query({ limit: 50, cursor })}`);
    body.append(...page.items.map((w) => endpointRow(w, () => { none.hidden = body.children.length > 0; })));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    none.hidden = body.children.length > 0;
  }
  root.append(h("div", { class: "pagehead" }, h("h1", {}, "Webhooks"), h("span", { class: "spacer" }),
    h("a", { class: "button primary", href: "#/admin/webhooks/new", "data-testid": "register-webhook" }, "Register endpoint")),
  await settingsCard(),
  h("table", { class: "list", "data-testid": "webhooks" }, h("thead", {}, h("tr", {},
    h("th", {}, "URL"), h("th", {}, "Event types"), h("th", {}, "Active"), h("th", {}, "Last delivery"), h("th", {}, "Actions"), h("th", {}, ""))), body),
  none, more);
  await load();
}

function endpointRow(w: Webhook, removed: () => void): HTMLElement {
  const last = h("td", { "data-testid": "last-delivery" }, "…");
  const problem = h("td", { class: "error", "data-problem": "row", role: "alert" });
  const showLast = async () => {
    try {
      const [d] = (await get<Page<WebhookDelivery>>(`${hookPath(w.id)}/deliveries?limit=1`)).items as (WebhookDelivery | undefined)[];
      last.replaceChildren(h("span", { class: d ? statusClass(d.status) : "muted" }, lastDeliveryText(d)));
    } catch (e) { last.textContent = describeError(e, "Could not read the log"); }
  };
  const ping = h("button", { "data-testid": "ping", onclick: async () => {
    problem.textContent = "";
    ping.disabled = true;
    try { await post(`${hookPath(w.id)}/ping`); toast("Test delivery queued: see the delivery log"); await showLast(); }
    catch (e) { problem.textContent = refusal(e, "Could not send a test", []).general; }
    finally { ping.disabled = false; }
  } }, "Send test");
  const remove = h("button", { class: "danger", onclick: async () => {
    problem.textContent = "";
    if (!(await confirmDialog("Delete this endpoint?", `${w.url} gets no more events; its delivery log is deleted too.`, "Delete", "Cancel"))) return;
    try { await del(hookPath(w.id)); toast("Endpoint deleted"); row.remove(); removed(); }
    catch (e) { problem.textContent = refusal(e, "Could not delete the endpoint", []).general; }
  } }, "Delete");
  void showLast();
  const row = h("tr", { "data-webhook": w.id },
    h("td", { class: "mono" }, h("a", { href: `#/admin/webhooks/${w.id}` }, w.url), w.description ? h("div", { class: "muted small" }, w.description) : null),
    h("td", {}, eventTypesText(w.event_types)), h("td", {}, w.active ? "yes" : "paused"), last,
    h("td", {}, h("div", { class: "actions" }, h("a", { href: `#/admin/webhooks/${w.id}` }, "Delivery log"),
      h("a", { href: `#/admin/webhooks/${w.id}/edit` }, "Edit"), ping, remove)),
    problem);
  return row;
}

/** The SSRF guard's one option, explained: off, endpoints must be on public addresses. */
async function settingsCard(): Promise<HTMLElement> {
  const settings = await get<WebhookSettings>(`${HOOKS}/settings`);
  const problem = h("p", { class: "error", role: "alert" });
  const box = h("input", { type: "checkbox", name: "allow_private_targets", checked: settings.allow_private_targets });
  box.addEventListener("change", async () => {
    const wanted = box.checked;
    box.disabled = true;
    problem.textContent = "";
    try {
      const saved = await put<WebhookSettings>(`${HOOKS}/settings`, { allow_private_targets: wanted });
      box.checked = saved.allow_private_targets;
      toast(saved.allow_private_targets ? "Private targets allowed" : "Private targets refused");
    } catch (e) { box.checked = !wanted; problem.textContent = describeError(e, "Could not change the setting"); }
    finally { box.disabled = false; }
  });
  return h("div", { class: "card", "data-testid": "webhook-settings" },
    h("label", { class: "check" }, box, h("b", {}, "Allow private targets")),
    h("p", { class: "muted small" },
      "Off (the default), an endpoint must be on a public address: loopback (127.0.0.1, localhost), private networks ",
      "(10.x, 192.168.x ...) and other non-routable addresses are refused, so that a webhook cannot be used to reach ",
      "services inside this network (server-side request forgery). Link-local addresses (cloud metadata) and multicast ",
      "are refused even when it is on. It is checked when an endpoint is saved and again at every attempt."),
    problem);
}
