// The page's two states, signed out and signed in, and the moves between them: showing one or the
// other (each with its forms reset), forgetting the person shown (token, photos, viewer) when
// someone signs out, in, or another account takes over this browser, the greeting, and the
// signed-out card's two tabs (the ARIA tabs pattern: arrow keys, Home and End move between them).

import { $, clearInvalid, newAction, say, showError } from "./ui.js";
import { keepTokens, state } from "./state.js";
import { hostedUiSession, userCall } from "./api.js";
import { hideTotpSetup, showMfaState } from "./account.js";
import { resetEmailChange, showEmail } from "./email-change.js";
import { resetCodes, showCodes } from "./mfa-codes.js";
import { clearPhotos, closeViewer } from "./photos.js";
import { resetUpload } from "./upload.js";
import {
  closeSignedInViews, forgetWantedView, openSignedInView, rememberTab, signedOutTabInUrl,
} from "./views.js";

// The tutorial's sentences, word for word.
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

const TABS = { "sign-in": ["tab-sign-in", "sign-in-panel"], "sign-up": ["tab-sign-up", "sign-up-panel"] };

export function chooseSignedOutPanel(which) {
  for (const [name, [tab, panel]] of Object.entries(TABS)) {
    const chosen = name === which;
    $(panel).hidden = !chosen;
    $(tab).setAttribute("aria-selected", String(chosen));
    $(tab).tabIndex = chosen ? 0 : -1;
  }
}

// A tab chosen by the person: its panel, the URL saying which, the focus on its first field.
function selectTab(which, focusTab) {
  chooseSignedOutPanel(which);
  rememberTab(which);
  if (focusTab) {
    $(TABS[which][0]).focus();
  } else if (which === "sign-up") {
    ($("confirm-form").hidden ? $("sign-up-email") : $("confirm-code")).focus();
  } else {
    if ($("sign-in-form").hidden) {
      showLogInForm($("sign-in-form"));
    }
    $("sign-in-email").focus();
  }
}

$("tab-sign-in").addEventListener("click", () => selectTab("sign-in"));
$("tab-sign-up").addEventListener("click", () => selectTab("sign-up"));
for (const [name, [tab]] of Object.entries(TABS)) {
  $(tab).addEventListener("keydown", (event) => {
    const names = Object.keys(TABS);
    const index = names.indexOf(name);
    const next = {
      ArrowRight: names[(index + 1) % names.length], ArrowLeft: names[(index + names.length - 1) % names.length],
      Home: names[0], End: names[names.length - 1],
    }[event.key];
    if (next) {
      event.preventDefault();
      selectTab(next, true);
    }
  });
}

export function showLogInForm(form) {
  chooseSignedOutPanel("sign-in");
  showOnly($("sign-in-panel"), form);
  $("hosted-ui-link").parentElement.hidden = form !== $("sign-in-form");
}

function resetSignedOutForms() {
  for (const id of ["sign-in-form", "mfa-form", "forgot-form", "reset-form", "sign-up-form", "confirm-form"]) {
    $(id).reset();
    clearInvalid($(id));
  }
  newAction($("signed-out"));
  state.pending = null;
  state.challenge = null;
  state.resetEmail = null;
  showOnly($("sign-up-panel"), $("sign-up-form"));
  showLogInForm($("sign-in-form"));
  chooseSignedOutPanel(signedOutTabInUrl());
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
  state.mfaOn = null;
  state.deletedIds = new Set();
  state.loadSeq += 1;
  clearPhotos();
  closeViewer();
  resetSignedInForms();
  $("who").hidden = true;
  $("who").textContent = "";
  $("greeting").textContent = "";
  $("password-form-username").setAttribute("value", "");
}

// `keepUrl`: the session ended by itself (not a sign-out), so the view in the URL is opened again
// after signing in.
export function showSignedOut(notice, kind, keepUrl) {
  forgetPerson();
  forgetWantedView(Boolean(keepUrl));
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
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
  newAction($("signed-in"));
  resetUpload();
  hideTotpSetup();
  resetEmailChange();
  resetCodes();
  $("delete-confirm").hidden = true;
  $("delete-start").hidden = false;
  closeSignedInViews();
}

// The signed-in page: the tutorial's sentence, then, once getUser answers, the greeting (by
// nickname, else email), whose account it is, and whether authenticator codes are on. It opens
// the view the URL names (My photos by default).
export async function showSignedIn(notice) {
  const epoch = state.epoch;
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  say($("page-message"), "");
  $("status").textContent = SIGNED_IN_SENTENCE;
  $("who").hidden = true;
  resetSignedInForms();
  if (notice) {
    say($("signed-in-message"), notice, "ok");
  }
  showMfaState(null);
  openSignedInView();
  try {
    const answer = await userCall("getUser", {});
    if (epoch !== state.epoch) {
      return;
    }
    const attributes = answer.attributes || {};
    state.email = typeof attributes.email === "string" ? attributes.email : null;
    const nickname = typeof attributes.nickname === "string" && attributes.nickname.trim()
      ? attributes.nickname.trim() : null;
    $("greeting").textContent = nickname || state.email ? `Hello, ${nickname || state.email}!` : "Hello!";
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
    const methods = Array.isArray(answer.mfa_methods) ? answer.mfa_methods : [];
    showMfaState(methods.includes("SOFTWARE_TOKEN_MFA"));
    showEmail(state.email);
    showCodes(answer);
  } catch (error) {
    $("greeting").textContent = "Hello!";
    $("mfa-start").hidden = false; // whether codes are on is not known: setting up an app always works
    showError(error, $("signed-in-message"), "getUser");
  }
}

// After tokens arrived from a JSON sign-in: the signed-in page, with the focus on the greeting.
export async function signedIn(answer) {
  forgetPerson();
  keepTokens(answer);
  state.viaHostedUi = false; // a JSON sign-in ends any hosted-UI session (the server does so)
  state.pending = null;
  state.challenge = null;
  await showSignedIn();
  $("greeting").focus();
}
