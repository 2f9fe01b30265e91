// Admin > Users: every user with their role; create a user, change a role, reset a password, disable or enable a
// user, delete a user. The gateway refuses what an admin may not do (e.g. disable or delete themself, or leave no
// enabled admin): its refusal is shown on the user's row.
import { Role, User, currentUser, del, get, logout, patch, post } from "../../api";
import { confirmDialog, dialog, h, toast } from "../../dom";
import { navigate } from "../../nav";
import { ROLES, ROLE_NAMES, checkNewUser, checkPassword, hasProblems, refusal } from "./forms";
import { adminShell, field, showProblems } from "./shell";

const USERS = "/api/auth/users";
const userPath = (name: string) => `${USERS}/${encodeURIComponent(name)}`;

export async function usersPage(root: HTMLElement): Promise<void> {
  if (!adminShell(root, "users")) return;
  const body = h("tbody");
  const table = h("table", { class: "list", "data-testid": "users" },
    h("thead", {}, h("tr", {}, h("th", {}, "User"), h("th", {}, "Role"), h("th", {}, "Actions"), h("th", {}, ""))), body);
  const load = async () => {
    const users = await get<User[]>(USERS);
    body.replaceChildren(...users.sort((a, b) => a.username.localeCompare(b.username)).map((u) => userRow(u, load)));
  };
  root.append(h("div", { class: "pagehead" }, h("h1", {}, "Users"), h("span", { class: "muted" },
    "A role change, a password reset, disabling or a deletion takes effect on the user's next request.")),
    createForm(load), table);
  await load();
}

function createForm(reload: () => Promise<void>): HTMLElement {
  const username = h("input", { name: "username", autocomplete: "off", maxlength: 64 });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password" });
  const again = h("input", { name: "password-again", type: "password", autocomplete: "new-password" });
  const role = h("select", { name: "role" }, ...ROLES.map((r) => h("option", { value: r, defaultSelected: r === "annotator" }, ROLE_NAMES[r])));
  const name = field("User name", username, "username");
  const pass = field("Password", password, "password");
  const general = h("p", { class: "error", role: "alert", "data-problem": "form" });
  const slots = { username: name.problem, password: pass.problem };
  const create = h("button", { class: "primary", type: "submit" }, "Create user");
  const form = h("form", { class: "card form admin-form", "data-testid": "create-user", noValidate: true, onsubmit: async (e: Event) => {
    e.preventDefault();
    if (create.disabled) return; // a double click sends it once
    const problems = checkNewUser(username.value, password.value, again.value);
    showProblems(problems, slots, general);
    if (hasProblems(problems)) return;
    create.disabled = true;
    try {
      const user = await post<User>(USERS, { username: username.value.trim(), password: password.value, role: role.value as Role });
      toast(`User ${user.username} created (${user.role})`);
      form.reset();
      await reload();
    } catch (err) {
      showProblems(refusal(err, "Could not create the user", ["username", "password"]), slots, general);
    } finally { create.disabled = false; }
  } },
    h("h2", {}, "Create a user"),
    h("div", { class: "row" }, name.el, pass.el, h("label", {}, "Password again", again), h("label", {}, "Role", role)),
    h("div", { class: "row" }, create, general));
  return form;
}

function userRow(user: User, reload: () => Promise<void>): HTMLElement {
  const me = currentUser()?.username === user.username;
  const problem = h("td", { class: "error", "data-problem": "row", role: "alert" });
  const role = h("select", { name: "role", "aria-label": `Role of ${user.username}` },
    ...ROLES.map((r) => h("option", { value: r, selected: r === user.role }, r)));
  role.addEventListener("change", () => void changeRole(user, role, problem, me));
  const reset = h("button", { onclick: () => void resetPassword(user, problem, me) }, "Reset password");
  const remove = h("button", { class: "danger", onclick: async () => {
    problem.textContent = "";
    if (!(await confirmDialog(`Delete ${user.username}?`, `${user.username} can no longer log in; their sessions end at their next request.`, "Delete", "Cancel"))) return;
    remove.disabled = true;
    try { await del(userPath(user.username)); toast(`User ${user.username} deleted`); await reload(); }
    catch (err) { problem.textContent = refusal(err, `Could not delete ${user.username}`, []).general; remove.disabled = false; }
  } }, "Delete");
  const toggle = h("button", { "data-action": user.disabled ? "enable" : "disable",
    onclick: () => void setDisabled(user, !user.disabled, toggle, problem, reload) }, user.disabled ? "Enable" : "Disable");
  return h("tr", { "data-user": user.username, "data-disabled": String(user.disabled) },
    h("td", {}, user.username, me ? h("span", { class: "badge" }, "you") : null,
      user.disabled ? h("span", { class: "badge disabled", "data-testid": "disabled" }, "disabled") : null),
    h("td", {}, role), h("td", {}, h("div", { class: "actions" }, reset, me ? null : toggle, remove)), problem);
}

async function setDisabled(user: User, disabled: boolean, button: HTMLButtonElement, problem: HTMLElement,
  reload: () => Promise<void>): Promise<void> {
  problem.textContent = "";
  if (disabled && !(await confirmDialog(`Disable ${user.username}?`,
    `${user.username} can no longer log in; their sessions end at their next request. Their name, role and work stay, and you can enable them again.`,
    "Disable", "Cancel"))) return;
  button.disabled = true;
  try {
    await patch<User>(userPath(user.username), { disabled });
    toast(disabled ? `${user.username} is disabled` : `${user.username} is enabled again`);
    await reload();
  } catch (err) {
    problem.textContent = refusal(err, `Could not ${disabled ? "disable" : "enable"} ${user.username}`, []).general;
    button.disabled = false;
  }
}

async function changeRole(user: User, select: HTMLSelectElement, problem: HTMLElement, me: boolean): Promise<void> {
  const wanted = select.value as Role;
  problem.textContent = "";
  if (me && wanted !== "admin" && !(await confirmDialog("Give up your admin rights?",
    `You become ${wanted}: you are logged out and can no longer manage users or webhooks.`, `Become ${wanted}`, "Cancel"))) {
    select.value = user.role;
    return;
  }
  select.disabled = true;
  try {
    const changed = await patch<User>(userPath(user.username), { role: wanted });
    user.role = changed.role;
    toast(`${user.username} is now ${changed.role}`);
    if (me) { await logout(); navigate("/login"); }
  } catch (err) {
    select.value = user.role;
    problem.textContent = refusal(err, `Could not change the role of ${user.username}`, []).general;
  } finally { select.disabled = false; }
}

async function resetPassword(user: User, problem: HTMLElement, me: boolean): Promise<void> {
  problem.textContent = "";
  const password = h("input", { name: "new-password", type: "password", autocomplete: "new-password" });
  const again = h("input", { name: "new-password-again", type: "password", autocomplete: "new-password" });
  const pass = field("New password", password, "password");
  const general = h("p", { class: "error" });
  const form = h("div", { class: "form" }, h("p", { class: "muted" },
    me ? "Your sessions end: you log in again with the new password." : `${user.username}'s sessions end: they log in again with the new password.`),
    pass.el, h("label", {}, "New password again", again), general);
  for (;;) {
    const ok = await dialog(`New password for ${user.username}`, form, [{ label: "Cancel", value: false }, { label: "Set password", value: true, primary: true }]);
    if (!ok) return;
    const problems = checkPassword(password.value, again.value);
    showProblems(problems, { password: pass.problem }, general);
    if (hasProblems(problems)) continue;
    try {
      await patch<User>(userPath(user.username), { password: password.value });
      toast(`Password of ${user.username} changed`);
      if (me) { await logout(); navigate("/login"); }
      return;
    } catch (err) { showProblems(refusal(err, "Could not change the password", ["password"]), { password: pass.problem }, general); }
  }
}
