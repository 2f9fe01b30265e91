// The gateway's REST API as the UI uses it: bearer token, JSON, errors as ApiError.

export type Role = "admin" | "annotator" | "viewer";
export interface User { username: string; role: Role }
export interface Label { name: string; color: string }
export interface BucketPath { bucket: string; prefix: string }
export type LabelingType = "image_segmentation" | "video_labeling" | "object_detection";
export interface Dataset {
  id: string; name: string; description: string; labeling_type: LabelingType;
  input_path: BucketPath; output_path: BucketPath; labels: Label[]; created_at: string;
}
export interface MediaMetadata {
  width?: number | null; height?: number | null; duration_s?: number | null; fps?: number | null;
  frame_count?: number | null;
}
export interface Sample {
  id: string; dataset_id: string; key: string; file_name: string; media_kind: "image" | "video";
  status: string; hard_example: boolean; labeled_by: string | null; label_counts: Record<string, number>;
  media: MediaMetadata | null; media_status?: string; bucket?: string;
}
export interface Counts { all: number; unlabeled: number; labeled: number }
export interface SamplePage { items: Sample[]; next_cursor: string | null; counts: Counts | null }
export interface Page<T> { items: T[]; next_cursor: string | null }
export type ShapeKind = "polygon" | "rectangle" | "circle" | "polyline" | "point" | "rotated_rectangle";
export interface Shape {
  shape_id: string; kind: ShapeKind; label: string; points: [number, number][];
  rotation?: number | null; time_point_s?: number | null; frame_index?: number | null; object_id?: string | null;
}
export interface Annotation {
  sample_id: string; dataset_id: string; revision: number; status: string; shapes: Shape[];
  labeled_by: string | null; hard_example: boolean; media_kind: string | null;
}
export interface TimePoint { time_point_s: number; frame_index: number | null; shapes: number; labels: string[] }
export interface Version {
  id: string; name: string; status: string; is_current: boolean; sample_count: number; description: string;
  statistics: { samples: number; labeled_samples: number; shapes: number };
  created_at: string; published_at: string | null;
}
export interface SyncRun {
  id: string; status: string; error: string | null;
  counts: { listed: number; added: number; removed: number; changed: number; unchanged: number; skipped: number; failed: number };
}
export interface ImportTask {
  id: string; status: string; mode: string; labeled: boolean; created_at: string; error: string | null;
  source: { kind: string; bucket?: string; prefix?: string; key?: string; file_name?: string };
  counts: { total: number; imported: number; already_present: number; skipped: number; failed: number };
  errors: { item: string; error: string }[];
}
export interface Job { id: string; dataset_id: string; name: string; labeling_type: LabelingType; created_at: string }
export interface JobDetails { job: Job; counts: Counts; labels: { name: string; color: string; samples: number }[] }
export interface Session { token: string; expires_at: number; user: User }

export class ApiError extends Error {
  constructor(public status: number, public body: { error?: string; message?: string; details?: unknown }) {
    super(body.message || `HTTP ${status}`);
  }
}

const TOKEN_KEY = "labelstream.session";
let session: Session | null = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
let onUnauthenticated: () => void = () => undefined;

export function currentUser(): User | null {
  return session && session.expires_at * 1000 > Date.now() ? session.user : null;
}
export function setUnauthenticatedHandler(handler: () => void): void { onUnauthenticated = handler; }
function keep(s: Session | null): void {
  session = s;
  if (s) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(s)); else sessionStorage.removeItem(TOKEN_KEY);
}

export async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const init: RequestInit = { method, headers: { ...headers } };
  const h = init.headers as Record<string, string>;
  if (session) h["Authorization"] = `Bearer ${session.token}`;
  if (body instanceof Blob || body instanceof ArrayBuffer) init.body = body;
  else if (body !== undefined) { h["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (response.status === 401 && !path.startsWith("/api/auth/login")) { keep(null); onUnauthenticated(); }
  if (!response.ok) {
    let parsed: ApiError["body"] = {};
    try { parsed = await response.json(); } catch { parsed = { message: response.statusText }; }
    throw new ApiError(response.status, parsed);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") || "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const get = <T>(path: string): Promise<T> => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>("POST", path, body);

export async function login(username: string, password: string): Promise<User> {
  keep(await post<Session>("/api/auth/login", { username, password }));
  return session!.user;
}
export async function logout(): Promise<void> {
  try { await post("/api/auth/logout"); } finally { keep(null); }
}
export async function refresh(): Promise<void> {
  if (session) keep(await post<Session>("/api/auth/refresh"));
}
export function tokenExpiresInMs(): number { return session ? session.expires_at * 1000 - Date.now() : 0; }

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
