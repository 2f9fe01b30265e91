// Errors as sentences for a person: never a raw API path, status code or rule id.
import { ApiError } from "./api";

/** What a shape validation rule means, in the words of the person drawing. */
const RULES: Record<string, string> = {
  duplicate_shape_id: "this shape appears twice",
  unknown_label: "its label is not in the dataset's label set",
  too_many_points: "it has too many points",
  not_finite: "one of its coordinates is not a number",
  out_of_range: "one of its coordinates is far outside the picture",
  time_point_on_image: "an image's shape cannot have a time point",
  time_point_required: "it has no time point in the video",
  time_point_outside_video: "its time point is outside the video",
  frame_outside_video: "its frame is outside the video",
  wrong_point_count: "it has the wrong number of points",
  too_few_points: "it needs more distinct points",
  rotation_required: "it has no rotation",
  zero_area: "it has no area",
  self_intersecting: "its edges cross each other",
  outside_image: "it reaches outside the image",
  outside_frame: "it reaches outside the frame",
  too_many_shapes: "there are too many shapes on this file",
};

export function ruleSentence(rule: string | undefined, fallback = "it is not valid"): string {
  return (rule && RULES[rule]) || fallback;
}

/** `action` is what failed, e.g. "Could not save"; the result reads as one sentence. */
export function describeError(e: unknown, action: string): string {
  if (e instanceof ApiError) {
    const s = e.status;
    if (s === 401) return `${action}: your session ended; log in again.`;
    if (s === 403) return `${action}: your role does not allow this.`;
    if (s === 404) return `${action}: it no longer exists (deleted, or not ready yet).`;
    if (s === 409) return `${action}: someone else changed it meanwhile.`;
    if (s === 413) return `${action}: it is too large.`;
    if (s === 429) return `${action}: too many attempts; wait a moment and try again.`;
    if (s === 502 || s === 503 || s === 504) return `${action}: the server is not answering right now; try again shortly.`;
    if (s >= 500) return `${action}: the server had a problem (it has been logged).`;
    const message = (e.body.message || "").replace(/\/api\/\S*/g, "").trim();
    return message ? `${action}: ${message}` : `${action}.`;
  }
  if (e instanceof TypeError) return `${action}: the server cannot be reached (network or gateway down).`;
  return `${action}: ${(e as Error)?.message || String(e)}`;
}

/** Whether the error means "the server could not be reached" (retry later) rather than "the server said no". */
export function isUnreachable(e: unknown): boolean {
  return e instanceof TypeError || (e instanceof ApiError && (e.status === 502 || e.status === 503 || e.status === 504));
}
