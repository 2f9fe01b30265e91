// Register a webhook endpoint (then its signing secret, shown this once) or edit one: URL, event types, active.
import { Webhook, WebhookCreated, WebhookEventTypes, get, patch, post } from "../../api";
import { h, toast } from "../../dom";
import { navigate } from "../../nav";
import { checkWebhook, hasProblems, refusal } from "./forms";
import { HOOKS, hookPath } from "./webhooks";
import { adminShell, field, showProblems } from "./shell";

const FIELDS = ["url", "event_types", "secret"] as const;

export async function webhookFormPage(root: HTMLElement, p: Record<string, string>): Promise<void> {
  if (!adminShell(root, "webhooks")) return;
  const [editing, offered] = await Promise.all([
    p.webhook ? get<Webhook>(hookPath(p.webhook)) : Promise.resolve(null),
    get<WebhookEventTypes>(`${HOOKS}/event-types`),
  ]);
  const url = h("input", { name: "url", type: "url", placeholder: "https://example.com/labelstream-hook", value: editing?.url ?? "", maxlength: 2048 });
  const description = h("input", { name: "description", value: editing?.description ?? "", maxlength: 500 });
  const secret = h("input", { name: "secret", autocomplete: "off", placeholder: "leave empty to have one generated" });
  const active = h("input", { type: "checkbox", name: "active", checked: editing?.active ?? true });
  const types = eventTypeChecks(offered, editing?.event_types ?? ["LabelChanged"]);
  const urlField = field("URL", url, "url");
  const secretField = field("Signing secret (optional)", secret, "secret");
  const typesProblem = h("small", { class: "error", "data-problem": "event_types", role: "alert" });
  const general = h("p", { class: "error", role: "alert", "data-problem": "form" });
  const slots = { url: urlField.problem, event_types: typesProblem, secret: secretField.problem };
  const save = h("button", { class: "primary", type: "submit", "data-testid": "save-webhook" }, editing ? "Save" : "Register");
  const form = h("form", { class: "card form admin-form", "data-testid": "webhook-form", noValidate: true, onsubmit: async (e: Event) => {
    e.preventDefault();
    if (save.disabled) return; // a double click registers once
    const chosen = types.chosen();
    const problems = checkWebhook({ url: url.value, eventTypes: chosen, secret: editing ? "" : secret.value });
    showProblems(problems, slots, general);
    if (hasProblems(problems)) return;
    save.disabled = true;
    const body = { url: url.value.trim(), event_types: chosen, active: active.checked, description: description.value };
    try {
      if (editing) {
        await patch<Webhook>(hookPath(editing.id), body);
        toast("Endpoint saved");
        navigate("/admin/webhooks");
      } else {
        const created = await post<WebhookCreated>(HOOKS, { ...body, secret: secret.value || null });
        // the page's URL becomes the endpoint's log (a reload shows it, without the secret); Back goes to the list
        history.replaceState(null, "", `#/admin/webhooks/${created.id}`);
        form.replaceWith(secretBox(created));
      }
    } catch (err) {
      showProblems(refusal(err, editing ? "Could not save the endpoint" : "Could not register the endpoint", FIELDS), slots, general);
      save.disabled = false;
    }
  } },
    urlField.el, h("fieldset", { class: "event-types" }, h("legend", {}, "Event types"), types.el, typesProblem),
    h("label", {}, "Description", description),
    editing ? null : secretField.el,
    h("label", { class: "check" }, active, "Active (a paused endpoint keeps its deliveries until it is active again)"),
    h("div", { class: "row" }, save, h("a", { class: "button", href: "#/admin/webhooks" }, "Cancel"), general));
  root.append(h("div", { class: "pagehead" }, h("a", { href: "#/admin/webhooks", class: "back" }, "Webhooks"),
    h("h1", {}, editing ? "Edit endpoint" : "Register an endpoint")), form);
}

/** "Every event" and one box per event type the API offers; every other box is off while "Every event" is on. */
function eventTypeChecks(offered: WebhookEventTypes, initial: string[]): { el: HTMLElement; chosen: () => string[] } {
  const every = offered.every ?? "*";
  const all = h("input", { type: "checkbox", name: "event_type", value: every, checked: initial.includes(every) });
  const boxes = offered.event_types.map((t) => h("input", { type: "checkbox", name: "event_type", value: t, checked: initial.includes(t) }));
  const follow = () => boxes.forEach((b) => { b.disabled = all.checked; });
  all.addEventListener("change", follow);
  follow();
  const el = h("div", { class: "checks" }, h("label", { class: "check" }, all, h("b", {}, "Every event")),
    ...boxes.map((b) => h("label", { class: "check" }, b, b.value)));
  return { el, chosen: () => (all.checked ? [every] : boxes.filter((b) => b.checked).map((b) => b.value)) };
}

/** The secret, shown this once, with a Copy button. */
function secretBox(created: WebhookCreated): HTMLElement {
  const value = h("input", { readOnly: true, value: created.secret, class: "mono", "data-testid": "webhook-secret", "aria-label": "Signing secret" });
  const copy = h("button", { onclick: async () => {
    value.select();
    try { await navigator.clipboard.writeText(created.secret); toast("Secret copied"); }
    catch { toast("Copy it from the box (selected)", "error"); }
  } }, "Copy");
  return h("div", { class: "card secret", "data-testid": "webhook-created" },
    h("h2", {}, "Endpoint registered"),
    h("p", { class: "warning" }, "Copy the signing secret now: it is shown only this once. The receiver checks each request's ",
      h("code", {}, "Labelstream-Signature"), " with it; if it is lost, set a new one by editing the endpoint through the API."),
    h("div", { class: "row" }, value, copy),
    h("p", {}, h("span", { class: "mono" }, created.url), " gets ", created.event_types.join(", "), "."),
    h("div", { class: "row" }, h("a", { class: "button primary", href: "#/admin/webhooks" }, "Done"),
      // the URL names the log already (replaced): the router is asked to show what it names
      h("button", { onclick: () => window.dispatchEvent(new HashChangeEvent("hashchange")) }, "Delivery log")));
}
