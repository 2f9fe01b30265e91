import { ApiError, login } from "../api";
import { h } from "../dom";
import { describeError } from "../errors";
import { navigate } from "../nav";

export function loginPage(root: HTMLElement, _p: Record<string, string>, q: URLSearchParams): void {
  const user = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login card", onsubmit: async (e: Event) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await login(user.value, password.value);
      navigate(q.get("next") || "/datasets");
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      error.textContent = status === 401 ? "Wrong user name or password."
        : status === 403 ? `The user ${user.value} is disabled: an admin can enable it again.`
        : describeError(err, "Could not log in");
    }
  } },
    h("h1", {}, "Labelstream"),
    h("label", {}, "User name", user),
    h("label", {}, "Password", password),
    h("button", { class: "primary", type: "submit" }, "Log in"),
    error);
  root.append(form);
}
