// A webhook delivery in words, pure (no DOM): its status, what its last attempt got, when it is tried next.
import type { DeliveryStatus, WebhookDelivery } from "../../api";

type Shown = Pick<WebhookDelivery, "status" | "attempts" | "last_status_code" | "last_error" | "next_attempt_at">;

export const STATUS_NAMES: Record<DeliveryStatus, string> = {
  pending: "Pending",
  retrying: "Retrying",
  delivered: "Delivered",
  dead: "Failed (gave up)",
};

/** A duration as a person says it: "now", "in 12 s", "in 3 min", "in 2 h" (negative: "12 s ago"). */
export function inWords(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 1) return "now";
  const amount = s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  return ms > 0 ? `in ${amount}` : `${amount} ago`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/** The status with its attempts: "Delivered (1 attempt)", "Retrying (3 attempts)", "Pending (not attempted yet)". */
export function statusText(d: Shown): string {
  if (d.status === "pending" && d.attempts === 0) return "Pending (not attempted yet)";
  return `${STATUS_NAMES[d.status]} (${plural(d.attempts, "attempt")})`;
}

/** What the receiver answered last time: "HTTP 204", "HTTP 500: answered 500", a connection error, or "". */
export function lastResult(d: Shown): string {
  const code = d.last_status_code === null ? "" : `HTTP ${d.last_status_code}`;
  const error = d.last_error && d.last_error !== `answered ${d.last_status_code}` ? d.last_error : "";
  return [code, error].filter(Boolean).join(": ");
}

/** When it is attempted next, relative to `now` (ms since the epoch); "" unless it is open. */
export function nextAttempt(d: Shown, now: number): string {
  if (!d.next_attempt_at || (d.status !== "pending" && d.status !== "retrying")) return "";
  const ms = Date.parse(d.next_attempt_at) - now;
  return ms <= 0 ? "due now" : inWords(ms);
}

/** An endpoint's health in the list, from its newest delivery. */
export function lastDeliveryText(d: Shown | undefined): string {
  if (!d) return "No delivery yet";
  const result = lastResult(d);
  return result ? `${STATUS_NAMES[d.status]}, ${result}` : STATUS_NAMES[d.status];
}

/** The class a status is shown with (`styles.css`): green delivered, red dead, amber retrying. */
export function statusClass(status: DeliveryStatus): string {
  return `delivery-${status}`;
}
