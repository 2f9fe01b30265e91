// The admin forms' rules, pure (no DOM): what is checked before sending, and a refusal of the API put next to the
// field it is about. The server checks everything again; these only save a round trip and say it in words.
import { ApiError, Role } from "../../api";
import { describeError } from "../../errors";

export const ROLES: Role[] = ["admin", "annotator", "viewer"];
export const ROLE_NAMES: Record<Role, string> = {
  admin: "Admin: everything, users and webhooks included",
  annotator: "Annotator: labels, synchronizes, adds data",
  viewer: "Viewer: reads only",
};


/** Problems by field name (`username`, `password`, `url`, `event_types`, `secret`), and one for the whole form. */
export interface Problems { fields: Record<string, string>; general: string | null }
const none = (): Problems => ({ fields: {}, general: null });
export const hasProblems = (p: Problems): boolean => p.general !== null || Object.keys(p.fields).length > 0;

export const MIN_PASSWORD = 4; // the gateway's UserCreate / UserUpdate
export const MIN_SECRET = 16; // webhook-svc's EndpointChanges

export function checkNewUser(username: string, password: string, again: string): Problems {
  const p = none();
  if (!username.trim()) p.fields.username = "Give the user a name.";
  else if (username.length > 64) p.fields.username = "At most 64 characters.";
  Object.assign(p.fields, checkPassword(password, again).fields);
  return p;
}

export function checkPassword(password: string, again: string): Problems {
  const p = none();
  if (password.length < MIN_PASSWORD) p.fields.password = `At least ${MIN_PASSWORD} characters.`;
  else if (password !== again) p.fields.password = "The two passwords differ.";
  return p;
}

export function checkWebhook(form: { url: string; eventTypes: string[]; secret: string }): Problems {
  const p = none();
  const url = form.url.trim();
  let parsed: URL | null = null;
  try { parsed = new URL(url); } catch { /* not a URL */ }
  if (!url) p.fields.url = "Give the URL the events are sent to.";
  else if (!parsed || !["http:", "https:"].includes(parsed.protocol) || !parsed.hostname) p.fields.url = "An http:// or https:// URL with a host.";
  else if (parsed.username || parsed.password) p.fields.url = "No user name or password in the URL.";
  if (form.eventTypes.length === 0) p.fields.event_types = "Choose at least one event type.";
  if (form.secret && form.secret.length < MIN_SECRET) p.fields.secret = `At least ${MIN_SECRET} characters, or leave it empty to have one generated.`;
  return p;
}

/**
 * A refusal of the API as problems by field: validation details (`{field: "body.password", problem}`) or a message
 * naming its field (`url: 127.0.0.1 is a loopback address...`, `username: 'x' is taken`); anything else is general.
 * `fields` are the form's fields; a problem about another one is general too.
 */
export function refusal(e: unknown, action: string, fields: readonly string[]): Problems {
  const p = none();
  if (!(e instanceof ApiError) || ![400, 409, 422].includes(e.status)) { p.general = describeError(e, action); return p; }
  const details = Array.isArray(e.body.details) ? (e.body.details as { field?: unknown; problem?: unknown }[]) : [];
  for (const d of details) {
    const field = typeof d.field === "string" ? d.field.replace(/^body\./, "").split(".")[0] : "";
    if (fields.includes(field) && typeof d.problem === "string") p.fields[field] ??= d.problem;
  }
  if (hasProblems(p)) return p;
  const message = e.body.message || `${action}.`;
  const named = /^([a-z_]+): (.+)$/s.exec(message);
  if (named && fields.includes(named[1])) p.fields[named[1]] = named[2];
  else p.general = `${action}: ${message}`;
  return p;
}
