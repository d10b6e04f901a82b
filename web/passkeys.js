// Signing in without a password, and the account's passkeys.
//
// On the sign-in form: "Email me a sign-in code" (signInWithCode, then the code in its own form,
// answered with respondToChallenge) and "Sign in with a passkey" (passkeySignInStart, the browser's
// navigator.credentials.get(), passkeySignInFinish). In account settings: the list of passkeys
// (passkeyList), "Add a passkey" (passkeyRegisterStart, navigator.credentials.create(),
// passkeyRegisterFinish) and a delete button for each (passkeyDelete).
//
// The server hands over WebAuthn's options as JSON, binary values in base64url; the browser's API
// wants ArrayBuffers, and its answers are ArrayBuffers that go back as base64url JSON. The
// conversions are here, both ways. A ceremony the person cancels (or lets time out) is the
// browser's NotAllowedError: the page says it was cancelled.

import { ApiError } from "./errors.js";
import { $, busy, busyButton, checkForm, newAction, onSubmit, say, showError } from "./ui.js";
import { language } from "./i18n.js";
import { state } from "./state.js";
import { call, userCall, withToken } from "./api.js";
import { showLogInForm, signedIn } from "./session.js";

const CANCELLED_SENTENCE = "The passkey request was cancelled or timed out. Try again when you are ready.";
const PASSKEY_SENTENCES = {
  PasskeyRefused: "That passkey did not sign you in. Try another passkey, or sign in another way.",
  PasskeysNotEnabled: "This site does not offer passkeys yet.",
  PasskeyWrongSite: "That passkey is for another website.",
  SignInWayNotEnabled: "This site does not offer that way of signing in.",
};

// --- base64url and the WebAuthn JSON --------------------------------------------------------------

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes.buffer;
}

function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function descriptors(list) {
  return (list || []).map((item) => ({ ...item, id: fromBase64url(item.id) }));
}

function creationOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

// A PublicKeyCredential as the JSON WebAuthn defines (RegistrationResponseJSON or
// AuthenticationResponseJSON).
function credentialJson(credential) {
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    if (response.userHandle) {
      json.response.userHandle = toBase64url(response.userHandle);
    }
  }
  return JSON.stringify(json);
}

function passkeysAvailable() {
  return Boolean(window.PublicKeyCredential && navigator.credentials);
}

// The sentence for a failed ceremony or call: the browser's refusals first, then the server's.
function sayFailure(error, element, action, form) {
  if (error instanceof DOMException) {
    say(element, error.name === "NotAllowedError" || error.name === "AbortError" ? CANCELLED_SENTENCE
      : error.name === "InvalidStateError" ? "This device already has a passkey for your account."
        : "Your browser could not use a passkey here.", "error");
    return;
  }
  if (error instanceof ApiError && PASSKEY_SENTENCES[error.code]) {
    say(element, PASSKEY_SENTENCES[error.code], "error");
    return;
  }
  showError(error, element, action, form);
}

// --- signing in -------------------------------------------------------------------------------------

// The email of the sign-in form, checked on its own (the password is not needed for these ways).
function signInEmail() {
  const field = $("sign-in-email");
  const message = $("sign-in-message");
  if (!field.value.trim() || !field.checkValidity()) {
    say(message, "Enter your email first.", "error");
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return null;
  }
  field.removeAttribute("aria-invalid");
  return field.value.trim();
}

$("code-sign-in").addEventListener("click", () => {
  newAction($("signed-out"));
  const email = signInEmail();
  if (!email) {
    return;
  }
  busyButton($("code-sign-in"), async () => {
    try {
      const answer = await call("signInWithCode", { user: email });
      state.challenge = { session: answer.session, email };
      $("code-form").reset();
      const where = answer.delivery && answer.delivery.destination;
      $("code-note").textContent = where ? `If ${email} has an account, we emailed a code to ${where}.`
        : `If ${email} has an account, we emailed it a code.`;
      say($("code-message"), "");
      showLogInForm($("code-form"));
      $("code-input").focus();
    } catch (error) {
      sayFailure(error, $("sign-in-message"), "signInWithCode");
    }
  }, "Sending…");
});

onSubmit($("code-form"), () => {
  const form = $("code-form");
  const message = $("code-message");
  if (!checkForm(form, message)) {
    return;
  }
  busy(form, async () => {
    try {
      const { session, email } = state.challenge || {};
      await signedIn(await call("respondToChallenge", { session, user: email, totp: $("code-input").value }));
    } catch (error) {
      if (error instanceof ApiError && ["ChallengeExpired", "LimitExceeded"].includes(error.code)) {
        state.challenge = null;
        showLogInForm($("sign-in-form"));
        say($("sign-in-message"), "This code can no longer be used. Ask for a new one.", "error");
        $("code-sign-in").focus();
        return;
      }
      showError(error, message, "respondToChallenge");
      $("code-input").select();
      $("code-input").focus();
    }
  }, "Signing in…");
});

$("code-cancel").addEventListener("click", () => {
  state.challenge = null;
  showLogInForm($("sign-in-form"));
  $("sign-in-email").focus();
});

$("passkey-sign-in").addEventListener("click", () => {
  newAction($("signed-out"));
  if (!passkeysAvailable()) {
    say($("sign-in-message"), "This browser cannot use passkeys.", "error");
    return;
  }
  const email = signInEmail();
  if (!email) {
    return;
  }
  busyButton($("passkey-sign-in"), async () => {
    try {
      const start = await call("passkeySignInStart", { user: email });
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(start.credential_request_options),
      });
      await signedIn(await call("passkeySignInFinish", { session: start.session, credential: credentialJson(credential) }));
    } catch (error) {
      sayFailure(error, $("sign-in-message"), "passkeySignInFinish");
    }
  }, "Waiting for your passkey…");
});

// --- the account's passkeys -------------------------------------------------------------------------

function dateOf(created) {
  const date = new Date(created);
  // In the page's language, as the sentence around it.
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleDateString(language, { dateStyle: "medium" });
}

function showPasskeys(passkeys) {
  const list = $("passkey-list");
  list.replaceChildren();
  passkeys.forEach((passkey, index) => {
    const item = document.createElement("li");
    const label = document.createElement("span");
    const when = dateOf(passkey.created);
    const name = passkey.name ? `${passkey.name} ${index + 1}` : `Passkey ${index + 1}`;
    label.textContent = when ? `${name}, added ${when}` : name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${label.textContent}`);
    remove.dataset.testid = "passkey-delete";
    remove.addEventListener("click", () => deletePasskey(passkey.id, remove));
    item.append(label, remove);
    list.append(item);
  });
  $("passkeys-empty").hidden = passkeys.length > 0;
}

// Listing is not something the person asked for: a session that ended elsewhere is found out (and
// the page signed out) by what they do next, not by opening the settings. An access token about to
// expire is still renewed first.
async function loadPasskeys() {
  try {
    const answer = await withToken((token) => call("passkeyList", { access_token: token }), []);
    showPasskeys(Array.isArray(answer.passkeys) ? answer.passkeys : []);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      say($("passkeys-message"), "Your passkeys could not be listed: your session may have ended.", "error");
      return;
    }
    sayFailure(error, $("passkeys-message"), "passkeyList");
  }
}

function deletePasskey(id, button) {
  newAction($("passkeys-box"));
  busyButton(button, async () => {
    try {
      await userCall("passkeyDelete", { id });
      say($("passkeys-message"), "The passkey is deleted.", "ok");
      await loadPasskeys();
      $("passkey-add").focus();
    } catch (error) {
      sayFailure(error, $("passkeys-message"), "passkeyDelete");
    }
  }, "Deleting…");
}

$("passkey-add").addEventListener("click", () => {
  newAction($("passkeys-box"));
  if (!passkeysAvailable()) {
    say($("passkeys-message"), "This browser cannot make passkeys.", "error");
    return;
  }
  busyButton($("passkey-add"), async () => {
    try {
      const start = await userCall("passkeyRegisterStart", {});
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(start.credential_creation_options),
      });
      await userCall("passkeyRegisterFinish", { credential: credentialJson(credential) });
      say($("passkeys-message"), "The passkey is added. You can sign in with it now.", "ok");
      await loadPasskeys();
    } catch (error) {
      sayFailure(error, $("passkeys-message"), "passkeyRegisterFinish");
    }
  }, "Waiting for your passkey…");
});

// Account settings list the passkeys whenever they are shown; signing out forgets the list.
new MutationObserver(() => {
  if (!$("account-panel").hidden && !$("signed-in").hidden) {
    loadPasskeys();
  } else if ($("signed-in").hidden) {
    $("passkey-list").replaceChildren();
    $("passkeys-empty").hidden = true;
  }
}).observe($("account-panel"), { attributes: true, attributeFilter: ["hidden"] });
