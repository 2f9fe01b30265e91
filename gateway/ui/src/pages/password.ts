import { ApiError, changePassword } from "../api";
import { h, toast } from "../dom";
import { describeError } from "../errors";
import { navigate } from "../nav";

/** Change one's own password; this UI stays logged in (with a new token), every other session of the user ends. */
export function passwordPage(root: HTMLElement): void {
  const current = h("input", { name: "current-password", type: "password", autocomplete: "current-password", required: true, autofocus: true });
  const next = h("input", { name: "new-password", type: "password", autocomplete: "new-password", required: true, minLength: 4 });
  const again = h("input", { name: "new-password-again", type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login card", onsubmit: async (e: Event) => {
    e.preventDefault();
    error.textContent = "";
    if (next.value !== again.value) { error.textContent = "The new passwords differ."; return; }
    try {
      await changePassword(current.value, next.value);
      toast("Password changed: your other sessions are logged out");
      navigate("/datasets");
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? "The current password is wrong." : describeError(err, "Could not change the password");
    }
  } },
    h("h1", {}, "Change your password"),
    h("label", {}, "Current password", current),
    h("label", {}, "New password", next),
    h("label", {}, "New password again", again),
    h("button", { class: "primary", type: "submit" }, "Change password"),
    error);
  root.append(form);
}
