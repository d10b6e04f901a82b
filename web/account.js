// The signed-in person's account: sign out (from the hosted UI too when signed in there), change
// the password (which signs every other session out, and this page in again), the authenticator app
// (whether its codes are on, as getUser says, with only the button that makes sense; the key in
// groups of four with a Copy button), and delete the account (with the one-shot flag that lets the
// page say so after the hosted UI's sign-out brings it back). A new action in the view clears the
// messages of the previous one.

import { ApiError, isAuthFailure } from "./errors.js";
import {
  $, authenticatorCode, busy, busyButton, checkForm, clearInvalid, markInvalid, newAction, onSubmit, say, showError,
} from "./ui.js";
import { keepTokens, state } from "./state.js";
import { call, userCall, withToken } from "./api.js";
import { showSignedOut } from "./session.js";
import { askForCode } from "./signed-out.js";

const DELETED_FLAG = "account-deleted"; // sessionStorage, one shot: "1" between deleteAcct and /logout's return

$("sign-out").addEventListener("click", async () => {
  const button = $("sign-out");
  if (button.disabled) {
    return;
  }
  const viaHostedUi = state.viaHostedUi;
  newAction($("signed-in"));
  const signedOut = await busyButton(button, async () => {
    try {
      await call("signOut", {});
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        showError(error, $("signed-in-message"), "signOut");
        return false;
      }
    }
    return true;
  }, "Signing out…");
  if (!signedOut) {
    return;
  }
  if (viaHostedUi) {
    window.location.assign("/logout"); // ends the hosted UI's own session too, then comes back here
    return;
  }
  showSignedOut();
  $("tab-sign-in").focus();
});

onSubmit($("password-form"), () => {
  const form = $("password-form");
  const message = $("password-message");
  newAction($("account-panel"));
  if (!checkForm(form, message)) {
    return;
  }
  busy(form, async () => {
    try {
      const answer = await changePassword($("old-password").value, $("new-password").value);
      form.reset();
      passwordChanged(answer, message);
    } catch (error) {
      showError(error, message, "changePass", form);
      if (error instanceof ApiError && error.code === "NotAuthorized") {
        markInvalid(form, $("old-password"), message);
        $("old-password").select();
      }
    }
  }, "Changing…");
});

// After changePass: the server signed this account out everywhere and this page in again (new
// tokens), or asks for the authenticator code of that new sign-in, or could not sign it in again,
// or could not sign the other sessions out (the password is changed in every case).
function passwordChanged(answer, message) {
  if (answer.access_token) {
    keepTokens(answer);
    say(message, "Your password is changed, and every other session is signed out.", "ok");
  } else if (answer.session && (answer.message === "MFA_REQUIRED" || answer.challenge === "SELECT_MFA_TYPE")) {
    const email = state.email;
    showSignedOut("Your password is changed, and every session is signed out. Enter your sign-in code " +
      "to stay signed in.", "ok");
    askForCode(answer.session, email, answer);
  } else if (answer.other_sessions_ended === false) {
    const why = answer.sign_out_error && answer.sign_out_error.message ? ` ${answer.sign_out_error.message}` : "";
    say(message, `Your password is changed, but your other sessions could not be signed out.${why}`, "error");
  } else {
    showSignedOut("Your password is changed, and every session is signed out. Sign in with your new password.", "ok");
    $("sign-in-email").focus();
  }
}

// changePass answers NotAuthorized both for a wrong current password and for a token whose
// session ended. getUser with the same token tells them apart: it works, so the password is
// wrong; it is refused, so refresh (signed out if that fails, the new person if the browser's
// account changed) and try once more with the new token.
async function changePassword(oldPass, newPass) {
  const attempt = (token) => call("changePass", { old_pass: oldPass, new_pass: newPass, access_token: token });
  return withToken(async (token) => {
    try {
      return await attempt(token);
    } catch (error) {
      if (!isAuthFailure(error, ["NotAuthorized"])) {
        throw error;
      }
      try {
        await call("getUser", { access_token: token });
      } catch (check) {
        if (isAuthFailure(check, ["NotAuthorized"])) {
          throw new ApiError("TokenRefused", check.message, null, 401);
        }
        throw check;
      }
      throw error; // the token works: the current password is wrong
    }
  }, ["TokenRefused"]);
}

export function hideTotpSetup() {
  $("totp-form").hidden = true;
  $("totp-qr").removeAttribute("src");
  $("totp-secret").textContent = "";
  delete $("totp-secret").dataset.secret;
}

// Whether authenticator codes are on (true, false, or null while not known yet): said in words,
// with only the button that makes sense shown.
export function showMfaState(on) {
  state.mfaOn = on;
  $("mfa-status").textContent = on === null ? "" : on ? "Authenticator codes are on." : "Authenticator codes are off.";
  $("mfa-status").classList.toggle("on", on === true);
  $("mfa-start").hidden = on !== false || !$("totp-form").hidden;
  $("mfa-off").hidden = on !== true;
}

// The key in groups of four, easier to type into an app (which ignores the spaces).
function inGroups(secret) {
  return secret.replace(/\s+/g, "").match(/.{1,4}/g).join(" ");
}

$("totp-copy").addEventListener("click", async () => {
  const message = $("mfa-setup-message");
  const secret = $("totp-secret").dataset.secret || "";
  newAction($("account-panel"));
  try {
    await navigator.clipboard.writeText(secret);
    say(message, "The key is copied. Paste it into your authenticator app.", "ok");
  } catch (_) {
    say(message, "This browser did not let the page copy the key. Select it and copy it yourself.", "error");
  }
});

$("mfa-start").addEventListener("click", async () => {
  const message = $("mfa-setup-message");
  newAction($("account-panel"));
  if (!state.email) {
    say(message, "We could not read your email address, which the authenticator app needs. Reload the page and try again.", "error");
    return;
  }
  await busyButton($("mfa-start"), async () => {
    try {
      const answer = await userCall("QR_init", { user: state.email });
      // The SVG is shown as an image from a data: URL: never inserted into the page as markup.
      $("totp-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.qr_svg)}`;
      $("totp-secret").dataset.secret = answer.secret_code;
      $("totp-secret").textContent = inGroups(answer.secret_code);
      $("totp-form").reset();
      clearInvalid($("totp-form"));
      $("totp-form").hidden = false;
      $("mfa-start").hidden = true;
      $("totp-code").focus();
    } catch (error) {
      showError(error, message, "QR_init");
    }
  }, "Preparing…");
});

onSubmit($("totp-form"), () => {
  const form = $("totp-form");
  const message = $("mfa-setup-message");
  if (!checkForm(form, message)) {
    return;
  }
  const code = authenticatorCode(form, $("totp-code"), message);
  if (!code) {
    return;
  }
  newAction($("account-panel"));
  busy(form, async () => {
    try {
      await userCall("QR_TOTP", { totp: code });
      hideTotpSetup();
      showMfaState(true);
      say(message, "Authenticator codes are on. Signing in will ask for a code from your app.", "ok");
      $("mfa-off").focus();
    } catch (error) {
      showError(error, message, "QR_TOTP", form);
      $("totp-code").select();
      $("totp-code").focus();
    }
  }, "Checking…");
});

$("totp-cancel").addEventListener("click", () => {
  hideTotpSetup();
  newAction($("account-panel"));
  showMfaState(state.mfaOn);
  $("mfa-start").focus();
});

$("mfa-off").addEventListener("click", async () => {
  const message = $("mfa-setup-message");
  newAction($("account-panel"));
  const off = await busyButton($("mfa-off"), async () => {
    try {
      await userCall("setMfa", { enabled: false });
      hideTotpSetup();
      say(message, "Authenticator codes are off. Signing in needs only your password.", "ok");
      return true;
    } catch (error) {
      showError(error, message, "setMfa");
      return false;
    }
  }, "Turning off…");
  if (off) {
    showMfaState(false);
    $("mfa-start").focus(); // the button that now makes sense
  }
});

$("delete-start").addEventListener("click", () => {
  $("delete-start").hidden = true;
  $("delete-confirm").hidden = false;
  newAction($("account-panel"));
  $("delete-no").focus();
});

$("delete-no").addEventListener("click", () => {
  $("delete-confirm").hidden = true;
  $("delete-start").hidden = false;
  $("delete-start").focus();
});

$("delete-yes").addEventListener("click", async () => {
  const viaHostedUi = state.viaHostedUi;
  const deleted = await busyButton($("delete-yes"), async () => {
    try {
      await userCall("deleteAcct", {});
      return true;
    } catch (error) {
      showError(error, $("delete-message"), "deleteAcct");
      return false;
    }
  }, "Deleting…");
  if (!deleted) {
    return;
  }
  if (viaHostedUi) {
    // /logout also ends the hosted UI's session and comes back to "/": a one-shot flag (no token,
    // no name) lets the page say the account is deleted once it lands.
    try {
      sessionStorage.setItem(DELETED_FLAG, "1");
    } catch (_) {
      // storage refused: the page lands signed out without the sentence
    }
    window.location.assign("/logout");
    return;
  }
  showSignedOut();
  say($("page-message"), "Your account is deleted.", "ok");
  $("tab-sign-up").focus();
});

// Set just before the hosted-UI path's /logout after deleting the account: said once, then gone.
export function takeDeletedFlag() {
  try {
    const flag = sessionStorage.getItem(DELETED_FLAG) === "1";
    sessionStorage.removeItem(DELETED_FLAG);
    return flag;
  } catch (_) {
    return false;
  }
}
