// The page's two states, signed out and signed in, and the moves between them: showing one or the
// other (each with its forms reset), forgetting the person shown (token, photos, viewer) when
// someone signs out, in, or another account takes over this browser, and which panel is open.

import { $, clearInvalid, say, showError } from "./ui.js";
import { keepTokens, state } from "./state.js";
import { hostedUiSession, userCall } from "./api.js";
import { hideTotpSetup } from "./account.js";
import { clearPhotos, closeViewer } from "./photos.js";

const SIGNED_OUT_SENTENCE = "Click log in/sign up to access this site";
const SIGNED_IN_SENTENCE = "Click my photos to access your photos";
const ACCOUNT_CHANGED_SENTENCE = "Someone signed in with another account in this browser, so this page now shows that account.";

export function showOnly(container, visible) {
  for (const child of container.children) {
    if (child.tagName === "FORM") {
      child.hidden = child !== visible;
    }
  }
}

export function chooseSignedOutPanel(which) {
  const logIn = which === "log-in";
  $("log-in-panel").hidden = !logIn;
  $("sign-up-panel").hidden = logIn;
  $("show-log-in").setAttribute("aria-pressed", String(logIn));
  $("show-sign-up").setAttribute("aria-pressed", String(!logIn));
}

export function showLogInForm(form) {
  chooseSignedOutPanel("log-in");
  showOnly($("log-in-panel"), form);
  $("hosted-ui-link").parentElement.hidden = form !== $("sign-in-form");
}

function resetSignedOutForms() {
  for (const id of ["sign-in-form", "mfa-form", "forgot-form", "reset-form", "sign-up-form", "confirm-form"]) {
    $(id).reset();
    clearInvalid($(id));
  }
  for (const id of ["sign-in-message", "mfa-message", "forgot-message", "reset-message", "sign-up-message",
    "confirm-message"]) {
    say($(id), "");
  }
  state.pending = null;
  state.challenge = null;
  state.resetEmail = null;
  showOnly($("sign-up-panel"), $("sign-up-form"));
  showLogInForm($("sign-in-form"));
}

// Forget the person shown: their token, identity, photos (and blob URLs), viewer and forms.
// Requests still running for them are answered to nobody (the epoch changed).
function forgetPerson() {
  state.epoch += 1;
  state.accessToken = null;
  state.sub = null;
  state.expiresAt = 0;
  state.viaHostedUi = false;
  state.email = null;
  state.deletedIds = new Set();
  state.loadSeq += 1;
  clearPhotos();
  closeViewer();
  resetSignedInForms();
  $("who").hidden = true;
  $("who").textContent = "";
  $("password-form-username").setAttribute("value", "");
}

export function showSignedOut(notice, kind) {
  forgetPerson();
  clearPhotos();
  closeViewer();
  resetSignedInForms();
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  $("who").hidden = true;
  $("who").textContent = "";
  $("status").textContent = SIGNED_OUT_SENTENCE;
  say($("page-message"), notice || "", notice ? (kind || "error") : null);
  resetSignedOutForms();
}

// The refresh cookie (shared by this browser's tabs) now holds another person's session: drop
// the old person's everything and show the new one, saying why.
export async function accountChanged(answer) {
  forgetPerson();
  keepTokens(answer);
  const epoch = state.epoch;
  const viaHostedUi = await hostedUiSession();
  if (epoch !== state.epoch) {
    return;
  }
  state.viaHostedUi = viaHostedUi;
  await showSignedIn(ACCOUNT_CHANGED_SENTENCE);
  $("status").focus();
}

function resetSignedInForms() {
  for (const id of ["upload-form", "password-form", "totp-form"]) {
    $(id).reset();
    clearInvalid($(id));
  }
  for (const id of ["signed-in-message", "upload-message", "photos-message", "password-message",
    "mfa-setup-message", "delete-message"]) {
    say($(id), "");
  }
  hideTotpSetup();
  $("delete-confirm").hidden = true;
  $("delete-start").hidden = false;
  choosePanel(null);
}

export async function showSignedIn(notice) {
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  say($("page-message"), "");
  $("status").textContent = SIGNED_IN_SENTENCE;
  $("who").hidden = true;
  resetSignedInForms();
  if (notice) {
    say($("signed-in-message"), notice, "ok");
  }
  try {
    const answer = await userCall("getUser", {});
    const attributes = answer.attributes || {};
    state.email = typeof attributes.email === "string" ? attributes.email : null;
    const nickname = typeof attributes.nickname === "string" && attributes.nickname ? attributes.nickname : null;
    let who = "Signed in";
    if (nickname && state.email) {
      who = `Signed in as ${nickname} (${state.email})`;
    } else if (state.email || nickname) {
      who = `Signed in as ${state.email || nickname}`;
    }
    $("who").textContent = who;
    // For password managers: the account whose password is changed (kept by form.reset()).
    $("password-form-username").setAttribute("value", state.email || "");
    $("who").hidden = false;
  } catch (error) {
    showError(error, $("signed-in-message"), "getUser");
  }
}

// After tokens arrived from a JSON sign-in: the signed-in page, with the focus on its sentence.
export async function signedIn(answer) {
  forgetPerson();
  keepTokens(answer);
  state.viaHostedUi = false; // a JSON sign-in ends any hosted-UI session (the server does so)
  state.pending = null;
  state.challenge = null;
  await showSignedIn();
  $("status").focus();
}

// The signed-in page's open panel: "photos", "account", or none (null) right after signing in.
export function choosePanel(which) {
  $("photos-panel").hidden = which !== "photos";
  $("account-panel").hidden = which !== "account";
  $("show-photos").setAttribute("aria-pressed", String(which === "photos"));
  $("show-account").setAttribute("aria-pressed", String(which === "account"));
}
