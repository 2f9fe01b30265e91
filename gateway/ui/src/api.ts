// The gateway's REST API as the UI uses it: bearer token, JSON, errors as ApiError. The types are the services'
// OpenAPI schemas (src/generated/, written by `npm run gen:api`); the names below are the UI's words for them.
import type { components as DatasetApi } from "./generated/dataset";
import type { components as GatewayApi } from "./generated/gateway";
import type { components as LabelingApi } from "./generated/labeling";
import type { components as SyncApi } from "./generated/sync";
import type { components as WebhookApi } from "./generated/webhooks";
import { SessionStore } from "./session";

type DatasetSchemas = DatasetApi["schemas"];
type LabelingSchemas = LabelingApi["schemas"];
type SyncSchemas = SyncApi["schemas"];
type WebhookSchemas = WebhookApi["schemas"];

// pydantic leaves fields that have a default out of a response schema's `required`, although the response always
// carries them: these aliases say so where the UI reads such a field.
type Sent<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

export type User = GatewayApi["schemas"]["UserPublic"];
export type Role = User["role"];
export type Session = GatewayApi["schemas"]["Session"];
export type UserCreate = GatewayApi["schemas"]["UserCreate"];
export type UserUpdate = GatewayApi["schemas"]["UserUpdate"];
export type Label = DatasetSchemas["LabelDefinition"];
export type BucketPath = DatasetSchemas["BucketPath"];
export type Dataset = DatasetSchemas["DatasetPublic"];
export type LabelingType = Dataset["labeling_type"];
export type MediaMetadata = DatasetSchemas["MediaMetadata"];
export type Counts = DatasetSchemas["SampleCountsPublic"];
export type Version = DatasetSchemas["VersionPublic"];
export type Export = DatasetSchemas["ExportPublic"];
export type ExportFormats = DatasetSchemas["FormatList"];
export type ExportOptions = DatasetSchemas["ExportOptions"];
/** A page of any listing (the services' `Page[X]` schemas). */
export type Page<T> = Omit<DatasetSchemas["Page_DatasetPublic_"], "items"> & { items: T[] };

// The sample browser lists dataset-svc's samples and a labeling job's (labeling-svc): a Sample is what both send,
// plus dataset-svc's fields (bucket, media status...), which a job's samples lack.
type DatasetSample = DatasetSchemas["SamplePublic"];
type JobSample = LabelingSchemas["JobSamplePublic"];
type SampleFieldsOfBoth = keyof DatasetSample & keyof JobSample;
export type Sample = Pick<JobSample, SampleFieldsOfBoth> & Partial<Omit<DatasetSample, SampleFieldsOfBoth>>;
/** dataset-svc's `SamplePage` or labeling-svc's `JobSamplePage` (whose `counts` is null unless asked for). */
export type SamplePage = Omit<DatasetSchemas["SamplePage"], "items" | "counts"> & { items: Sample[]; counts: Counts | null };

export type Shape = LabelingSchemas["Shape"];
export type ShapeKind = Shape["kind"];
export type Annotation = LabelingSchemas["AnnotationPublic"];
export type TimePoint = LabelingSchemas["TimePoint"];
export type Job = LabelingSchemas["LabelingJob"];
export type JobDetails = LabelingSchemas["JobDetails"];

export type SyncRun = Sent<SyncSchemas["SyncRun"], "counts" | "error">;
type ImportSource = SyncSchemas["BucketSource"] | SyncSchemas["ManifestSource"] | SyncSchemas["ArchiveSource"] | SyncSchemas["UploadSource"];
/** An import task; `source` is flattened (every kind's fields, optional) so a view can show any kind in one line. */
export type ImportTask = Omit<Sent<SyncSchemas["ImportTask"], "counts" | "error">, "source"> & {
  source: { kind: ImportSource["kind"]; bucket?: string; prefix?: string; key?: string; file_name?: string; format?: string | null };
};

export type Webhook = WebhookSchemas["EndpointPublic"];
/** The answer to registering an endpoint: the endpoint and its signing secret, shown this once. */
export type WebhookCreated = WebhookSchemas["EndpointCreated"];
export type WebhookCreate = WebhookSchemas["EndpointCreate"];
export type WebhookChanges = WebhookSchemas["EndpointChanges"];
export type WebhookDelivery = WebhookSchemas["DeliveryPublic"];
export type DeliveryStatus = WebhookDelivery["status"];
export type WebhookSettings = WebhookSchemas["WebhookOptions"];
export type WebhookEventTypes = WebhookSchemas["EventTypes"];

export class ApiError extends Error {
  constructor(public status: number, public body: { error?: string; message?: string; details?: unknown }) {
    super(body.message || `HTTP ${status}`);
  }
}

let sessions: SessionStore | null = null;
let onUnauthenticated: () => void = () => undefined;

// Created on first use (not at import, so pure helpers such as query() load in the unit tests without a browser).
function store(): SessionStore {
  if (!sessions) {
    const created = new SessionStore(localStorage);
    window.addEventListener("storage", (e) => {
      if (e.storageArea === localStorage && created.changedElsewhere(e.key)) onUnauthenticated();
    });
    sessions = created;
  }
  return sessions;
}

export function currentUser(): User | null { return store().valid()?.user ?? null; }
export function setUnauthenticatedHandler(handler: () => void): void { onUnauthenticated = handler; }

export async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const send = (token: string | undefined): Promise<Response> => {
    const h: Record<string, string> = { ...headers };
    const init: RequestInit = { method, headers: h };
    if (token) h["Authorization"] = `Bearer ${token}`;
    if (body instanceof Blob || body instanceof ArrayBuffer) init.body = body;
    else if (body !== undefined) { h["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init);
  };
  const token = store().current()?.token;
  let response = await send(token);
  if (response.status === 401 && !path.startsWith("/api/auth/login")) {
    // another tab may have refreshed or logged in again since: then this tab goes on with that session
    const newer = store().refused(token);
    if (newer) {
      response = await send(newer.token);
      if (response.status === 401) store().refused(newer.token);
    }
    if (response.status === 401) onUnauthenticated();
  }
  if (!response.ok) {
    const parsed: ApiError["body"] = await response.json().catch(() => ({ message: response.statusText }));
    throw new ApiError(response.status, parsed);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") || "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const get = <T>(path: string): Promise<T> => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>("POST", path, body);
export const patch = <T>(path: string, body: unknown): Promise<T> => request<T>("PATCH", path, body);
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>("PUT", path, body);
export const del = (path: string): Promise<void> => request<void>("DELETE", path);

export async function login(username: string, password: string): Promise<User> {
  const session = await post<Session>("/api/auth/login", { username, password });
  store().keep(session);
  return session.user;
}
export async function logout(): Promise<void> {
  try { await post("/api/auth/logout"); } finally { store().keep(null); }
}
/** Changes the user's own password: the server ends every other session and answers a new one for this UI (every
 * tab of it takes it), so the UI stays logged in. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  store().keep(await post<Session>("/api/auth/password", { current_password: currentPassword, new_password: newPassword }));
}
/** A fresh token, unless another tab already got one (then this tab takes that). */
export async function refresh(): Promise<void> {
  const before = store().current();
  const latest = store().latest();
  if (!latest || latest !== before) return;
  store().keep(await post<Session>("/api/auth/refresh"));
}
export function tokenExpiresInMs(): number {
  const s = store().current();
  return s ? s.expires_at * 1000 - Date.now() : 0;
}

export function query(params: Record<string, string | number | boolean | string[] | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x)); else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const media = {
  thumbnail: (d: string, s: string) => `/api/media/datasets/${d}/samples/${s}/thumbnail`,
  frame: (d: string, s: string, t: number) => `/api/media/datasets/${d}/samples/${s}/frame?t=${t}`,
  video: (d: string, s: string) => `/api/media/datasets/${d}/samples/${s}/video`,
  original: (d: string, s: string) => `/api/media/datasets/${d}/samples/${s}/frame?n=0`,
};
export const annotationPath = (d: string, s: string) => `/api/labeling/datasets/${d}/samples/${s}/annotation`;

/** The dataset's label set, from its one owner, labeling-svc (empty while labeling-svc has not learnt of a new
 * dataset yet: a page reads it again when it reloads). */
export async function labelSetOf(datasetId: string): Promise<Label[]> {
  try { return (await get<{ labels: Label[] }>(`/api/labeling/datasets/${datasetId}`)).labels; }
  catch (e) { if (e instanceof ApiError && e.status === 404) return []; throw e; }
}
