// What every part of the page uses to talk to the person: messages near a form (all of a view's
// cleared when a new action starts there), the browser's own field checks said as one sentence,
// the focus on the field an error names, and buttons disabled while a request runs, saying what
// they are doing with a spinner (the focus given back afterwards).

import { ApiError, SessionEnded, sentenceFor } from "./errors.js";

export const $ = (id) => document.getElementById(id);

export function say(element, text, kind) {
  element.textContent = text || "";
  element.classList.toggle("error", kind === "error");
  element.classList.toggle("ok", kind === "ok");
}

// A new action in a view (a panel, a form's card): the messages of the previous one go, so an old
// "done" never stands next to a new error.
export function newAction(view) {
  for (const message of view.querySelectorAll(".message")) {
    say(message, "");
  }
}

// A field's own description (its rules, say) is in data-describedby; an error's message is added
// to it while the field is marked invalid.
function describe(field, messageId) {
  const own = field.dataset.describedby || "";
  const ids = [own, messageId || ""].join(" ").trim();
  if (ids) {
    field.setAttribute("aria-describedby", ids);
  } else {
    field.removeAttribute("aria-describedby");
  }
}

export function clearInvalid(form) {
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    describe(field, null);
  }
}

// Show an error near `form` (in `messageElement`) and put the focus on the field it names.
export function showError(error, messageElement, action, form) {
  if (error instanceof SessionEnded) {
    return; // the signed-out page says it already
  }
  if (!(error instanceof ApiError)) {
    console.warn(error); // a bug of this page; the person gets a sentence
  }
  say(messageElement, sentenceFor(error, action), "error");
  if (form && error instanceof ApiError && error.field) {
    markInvalid(form, form.elements.namedItem(error.field), messageElement);
  }
}

export function markInvalid(form, field, messageElement) {
  clearInvalid(form);
  if (field && typeof field.focus === "function") {
    field.setAttribute("aria-invalid", "true");
    describe(field, messageElement.id);
    field.focus();
  }
}

// The browser's own checks (required, type=email, minlength), said as one sentence.
export function checkForm(form, messageElement) {
  clearInvalid(form);
  for (const field of form.elements) {
    if (field.willValidate && !field.checkValidity()) {
      const label = form.querySelector(`label[for="${field.id}"]`);
      const name = label ? label.textContent.replace(/\s*\(.*\)\s*$/s, "").trim() : field.name;
      let sentence = `Please check “${name}”.`;
      if (field.validity.valueMissing) {
        sentence = `Please fill in “${name}”.`;
      } else if (field.validity.typeMismatch && field.type === "email") {
        sentence = "Please enter a valid email address.";
      } else if (field.validity.tooShort) {
        sentence = `“${name}” needs at least ${field.minLength} characters.`;
      }
      say(messageElement, sentence, "error");
      markInvalid(form, field, messageElement);
      return false;
    }
  }
  say(messageElement, "");
  return true;
}

// A disabled button loses the focus to <body>; when nothing else took it meanwhile, it goes back
// to the element that had it (or the first field of its form) once the work is over.
function restoreFocus(had) {
  const active = document.activeElement;
  if (active && active !== document.body) {
    return;
  }
  if (had && had.isConnected && had.getClientRects().length > 0 && !had.disabled) {
    had.focus();
    return;
  }
  const form = had && had.closest ? had.closest("form") : null;
  const field = form && !form.hidden ? form.querySelector("input:not([type=hidden]):not([hidden]), textarea") : null;
  if (field && field.getClientRects().length > 0) {
    field.focus();
  }
}

// While busy, a button says what it is doing ("Signing in…") after a spinner (CSS only, still
// for people who ask for less motion); afterwards its own words come back.
function showDoing(button, doing) {
  if (!button || !doing) {
    return () => {};
  }
  const label = button.textContent;
  const spinner = document.createElement("span");
  spinner.className = "spinner";
  spinner.setAttribute("aria-hidden", "true");
  button.replaceChildren(spinner, document.createTextNode(doing));
  button.classList.add("is-busy");
  return () => {
    button.textContent = label;
    button.classList.remove("is-busy");
  };
}

// Disable a form's buttons while its request runs, so Enter twice does not send it twice. With
// `doing`, the button that acts (`button`, else the form's submit button) says so.
export async function busy(form, work, doing, button) {
  const buttons = form.querySelectorAll("button");
  const had = form.contains(document.activeElement) ? document.activeElement : null;
  form.setAttribute("aria-busy", "true");
  buttons.forEach((each) => { each.disabled = true; });
  const done = showDoing(button || form.querySelector("button[type=submit]"), doing);
  try {
    return await work();
  } finally {
    done();
    form.removeAttribute("aria-busy");
    buttons.forEach((each) => { each.disabled = false; });
    restoreFocus(had);
  }
}

// The same for a lone button (not in a form): disabled while `work` runs, the focus kept.
export async function busyButton(button, work, doing) {
  if (button.disabled) {
    return undefined;
  }
  const had = document.activeElement === button ? button : null;
  button.disabled = true;
  const done = showDoing(button, doing);
  try {
    return await work();
  } finally {
    done();
    button.disabled = false;
    restoreFocus(had);
  }
}

// An authenticator code, spaces allowed: 6 digits, else a sentence naming the field as people
// know it. Returns the digits, or null after saying what is wrong.
export function authenticatorCode(form, field, messageElement) {
  const digits = field.value.replace(/\s+/g, "");
  if (!/^[0-9]{6}$/.test(digits)) {
    say(messageElement, "The authenticator code is the 6 digits your app shows. Please check it.", "error");
    markInvalid(form, field, messageElement);
    return null;
  }
  return digits;
}

export function onSubmit(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    handler();
  });
}
