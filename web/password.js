// Password fields: the "Show" toggle next to each (a button with aria-pressed: the password is
// shown as text while it is pressed), and, under each new password, the pool's rules listed and
// ticked as they are met. The rules come from the server (GET /me's password_policy), the one
// place that knows them; until they arrive, or if they never do, no rule is listed and the server
// still checks.

import { $ } from "./ui.js";

// Cognito's special characters for RequireSymbols.
const SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

let policy = null;

function rulesOf(given) {
  const rules = [];
  const length = Number(given.min_length);
  if (Number.isInteger(length) && length > 0) {
    rules.push({ name: `${length} characters or more`, met: (text) => Array.from(text).length >= length });
  }
  if (given.require_lowercase === true) {
    rules.push({ name: "a lowercase letter", met: (text) => /[a-z]/.test(text) });
  }
  if (given.require_uppercase === true) {
    rules.push({ name: "an uppercase letter", met: (text) => /[A-Z]/.test(text) });
  }
  if (given.require_numbers === true) {
    rules.push({ name: "a number", met: (text) => /[0-9]/.test(text) });
  }
  if (given.require_symbols === true) {
    rules.push({ name: "a special character, such as ! or %", met: (text) => Array.from(text).some((c) => SYMBOLS.includes(c)) });
  }
  return rules;
}

function newPasswordFields() {
  return document.querySelectorAll("input[data-rules]");
}

// Tick the rules of one field; each says "done" or "not yet" to screen readers too.
function tick(field) {
  const list = $(field.dataset.rules);
  if (!list || !policy) {
    return;
  }
  const rules = rulesOf(policy);
  list.querySelectorAll("li").forEach((item, index) => {
    const met = rules[index] ? rules[index].met(field.value) : false;
    item.classList.toggle("met", met);
    item.querySelector(".rule-state").textContent = met ? "done: " : "not yet: ";
  });
}

// The rules from GET /me: listed under every new-password field, which also gets the minimum
// length as its minlength (so the form's own check names it).
export function usePasswordPolicy(given) {
  if (!given || typeof given !== "object") {
    return;
  }
  policy = given;
  const rules = rulesOf(given);
  for (const field of newPasswordFields()) {
    const list = $(field.dataset.rules);
    if (!list) {
      continue;
    }
    list.replaceChildren(...rules.map((rule) => {
      const item = document.createElement("li");
      const state = document.createElement("span");
      state.className = "rule-state visually-hidden";
      item.append(state, document.createTextNode(rule.name));
      return item;
    }));
    field.dataset.describedby = list.id;
    if (!field.hasAttribute("aria-invalid")) {
      field.setAttribute("aria-describedby", list.id);
    }
    const length = Number(given.min_length);
    if (Number.isInteger(length) && length > 0) {
      field.minLength = length;
    }
    tick(field);
  }
}

// A form was reset: its fields are empty again, and so are their ticks; shown passwords are hidden.
export function resetPasswordFields(form) {
  for (const toggle of form.querySelectorAll("button.reveal")) {
    reveal(toggle, false);
  }
  for (const field of form.querySelectorAll("input[data-rules]")) {
    tick(field);
  }
}

function reveal(toggle, shown) {
  const field = $(toggle.getAttribute("aria-controls"));
  toggle.setAttribute("aria-pressed", String(shown));
  if (field) {
    field.type = shown ? "text" : "password";
  }
}

for (const toggle of document.querySelectorAll("button.reveal")) {
  toggle.addEventListener("click", () => {
    reveal(toggle, toggle.getAttribute("aria-pressed") !== "true");
  });
}

for (const field of newPasswordFields()) {
  field.addEventListener("input", () => tick(field));
}

// form.reset() empties the fields after its "reset" event: their ticks and toggles follow just after.
for (const form of document.querySelectorAll("form")) {
  form.addEventListener("reset", () => setTimeout(() => resetPasswordFields(form), 0));
}
