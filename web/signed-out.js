// The signed-out card's forms: sign in (then the MFA code when the account asks for one: mfa-step.js),
// sign up and confirm the emailed code (sent again on request), and a forgotten password (a code
// by email, then a new password). "More sign-in options" (the hosted UI) is a plain link in the
// page; session.js shows it next to the sign-in form only, and switches the two tabs.

import { ApiError } from "./errors.js";
import { $, authenticatorCode, busy, checkForm, clearInvalid, newAction, onSubmit, say, showError } from "./ui.js";
import { state } from "./state.js";
import { call } from "./api.js";
import { chooseSignedOutPanel, showLogInForm, showOnly, signedIn } from "./session.js";
import { rememberTab } from "./views.js";
import { askForChoice, describeCodeStep, sentCode } from "./mfa-step.js";
import { browserName } from "./devices.js";

onSubmit($("sign-in-form"), () => {
  const form = $("sign-in-form");
  const message = $("sign-in-message");
  if (!checkForm(form, message)) {
    return;
  }
  const email = $("sign-in-email").value.trim();
  const password = $("sign-in-password").value;
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      const answer = await call("signIn", { user: email, pass: password });
      if (answer.access_token) {
        await signedIn(answer);
      } else if (answer.session && (answer.message === "MFA_REQUIRED" || answer.challenge === "SELECT_MFA_TYPE")) {
        askForCode(answer.session, email, answer);
      } else {
        say(message, "This account needs a step this page cannot do. Use “More sign-in options” instead.", "error");
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === "UserNotConfirmed") {
        startConfirmation(email, password, "This account is not confirmed yet. Enter the code we emailed to");
        return;
      }
      showError(error, message, "signIn", form);
      if (error instanceof ApiError && error.code === "NotAuthorized") {
        $("sign-in-password").select();
        $("sign-in-password").focus();
      }
    }
  }, "Signing in…");
});

// The code step of a sign-in (also of the new sign-in after a password change): an authenticator
// code, or one sent by text message or email (mfa-step.js words it); with several kinds on and
// none preferred, first the choice of one. The email goes with the code: Cognito names the user in
// the step it answers, but an emulator that does not (moto) needs the name the person signed in with.
export function askForCode(session, email, step) {
  if (step && step.challenge === "SELECT_MFA_TYPE") {
    askForChoice(session, email, step.mfa_choices);
    return;
  }
  state.challenge = { session, email, challenge: (step && step.challenge) || "SOFTWARE_TOKEN_MFA" };
  describeCodeStep(step);
  $("mfa-form").reset();
  say($("mfa-message"), "");
  showLogInForm($("mfa-form"));
  $("mfa-code").focus();
}

onSubmit($("mfa-form"), () => {
  const form = $("mfa-form");
  const message = $("mfa-message");
  if (!checkForm(form, message)) {
    return;
  }
  const sent = state.challenge && state.challenge.challenge !== "SOFTWARE_TOKEN_MFA";
  const code = sent ? sentCode(form, $("mfa-code"), message) : authenticatorCode(form, $("mfa-code"), message);
  if (!code) {
    return;
  }
  busy(form, async () => {
    try {
      const { session, email } = state.challenge || {};
      const remember = $("mfa-remember").checked ? { remember_device: true, device_name: browserName() } : {};
      await signedIn(await call("respondToChallenge", { session, user: email, totp: code, ...remember }));
    } catch (error) {
      if (error instanceof ApiError && ["ChallengeExpired", "LimitExceeded"].includes(error.code)) {
        state.challenge = null;
        showLogInForm($("sign-in-form"));
        showError(error, $("sign-in-message"), "respondToChallenge");
        $("sign-in-password").value = "";
        $("sign-in-password").focus();
        return;
      }
      showError(error, message, "respondToChallenge");
      $("mfa-code").select();
      $("mfa-code").focus();
    }
  }, "Signing in…");
});

$("mfa-cancel").addEventListener("click", () => {
  state.challenge = null;
  showLogInForm($("sign-in-form"));
  $("sign-in-password").value = "";
  $("sign-in-password").focus();
});

onSubmit($("sign-up-form"), () => {
  const form = $("sign-up-form");
  const message = $("sign-up-message");
  if (!checkForm(form, message)) {
    return;
  }
  const email = $("sign-up-email").value.trim();
  const password = $("sign-up-password").value;
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      const answer = await call("createAccount", {
        user: email, pass: password, nickname: $("sign-up-nickname").value.trim(),
      });
      if (answer.user_confirmed) {
        await signedIn(await call("signIn", { user: email, pass: password }));
        return;
      }
      startConfirmation(email, password, "We emailed a confirmation code to");
    } catch (error) {
      showError(error, message, "createAccount", form); // focuses the field the error names, if the form has it
      if (error instanceof ApiError && error.code === "MissingAttribute" && error.field) {
        say(message, missingAttributeSentence(form, error.field), "error");
      }
    }
  }, "Signing up…");
});

// The user pool requires an attribute: the form's field for it, or, when the form has none, its name.
function missingAttributeSentence(form, name) {
  const field = form.elements.namedItem(name);
  const label = field && field.id ? form.querySelector(`label[for="${field.id}"]`) : null;
  if (label) {
    return `Please fill in “${label.textContent.trim()}”.`;
  }
  return `This site also needs “${name}” to create an account, which this form does not ask for. Please tell whoever runs this site.`;
}

// The confirmation step, for a new account or one whose sign-in said it is not confirmed yet. The
// email is said once, as typed (the answer's masked address would say it a second time).
function startConfirmation(email, password, note) {
  state.pending = { email, password };
  chooseSignedOutPanel("sign-up");
  rememberTab("sign-up");
  showOnly($("sign-up-panel"), $("confirm-form"));
  $("confirm-form").reset();
  $("confirm-email").textContent = email;
  $("confirm-note").textContent = note;
  say($("confirm-message"), "");
  clearInvalid($("confirm-form"));
  $("confirm-code").focus();
}

// Back from the code step to the sign-up form, the email ready to be corrected.
$("confirm-back").addEventListener("click", () => {
  const email = state.pending ? state.pending.email : "";
  state.pending = null;
  showOnly($("sign-up-panel"), $("sign-up-form"));
  say($("confirm-message"), "");
  say($("sign-up-message"), "");
  clearInvalid($("sign-up-form"));
  if (email) {
    $("sign-up-email").value = email;
  }
  $("sign-up-email").focus();
  $("sign-up-email").select();
});

onSubmit($("confirm-form"), () => {
  const form = $("confirm-form");
  const message = $("confirm-message");
  if (!checkForm(form, message)) {
    return;
  }
  if (!state.pending) {
    showLogInForm($("sign-in-form"));
    return;
  }
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      await signedIn(await call("confirmAccount", {
        user: state.pending.email, pass: state.pending.password, conf_code: $("confirm-code").value,
      }));
    } catch (error) {
      showError(error, message, "confirmAccount", form);
      if (error instanceof ApiError && error.code === "LimitExceeded") {
        $("resend-code").disabled = false;
        $("resend-code").focus();
      } else if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
        $("confirm-code").select();
        $("confirm-code").focus();
      }
    }
  }, "Confirming…");
});

$("resend-code").addEventListener("click", () => {
  const form = $("confirm-form");
  if (!state.pending || form.getAttribute("aria-busy") === "true") {
    return;
  }
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      await call("resendCode", { user: state.pending.email });
      say($("confirm-message"), "A new code is on its way.", "ok");
      $("confirm-code").focus();
    } catch (error) {
      showError(error, $("confirm-message"), "resendCode");
    }
  }, "Sending…", $("resend-code"));
});

$("show-forgot").addEventListener("click", () => {
  $("forgot-form").reset();
  say($("forgot-message"), "");
  $("forgot-email").value = $("sign-in-email").value;
  showLogInForm($("forgot-form"));
  $("forgot-email").focus();
});

for (const id of ["forgot-cancel", "reset-cancel"]) {
  $(id).addEventListener("click", () => {
    showLogInForm($("sign-in-form"));
    $("sign-in-email").focus();
  });
}

onSubmit($("forgot-form"), () => {
  const form = $("forgot-form");
  const message = $("forgot-message");
  if (!checkForm(form, message)) {
    return;
  }
  const email = $("forgot-email").value.trim();
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      await call("forgotPassword", { user: email });
      state.resetEmail = email;
      $("reset-form-username").setAttribute("value", email);
      $("reset-form").reset();
      clearInvalid($("reset-form"));
      say($("reset-message"), "");
      $("reset-note").textContent = resetNote(email);
      showLogInForm($("reset-form"));
      $("reset-code").focus();
    } catch (error) {
      showError(error, message, "forgotPassword", form);
    }
  }, "Sending…");
});

// The email once, as typed: whether it has an account is not told (the answer is the same).
function resetNote(email) {
  return `If ${email} has an account, we emailed it a code.`;
}

$("reset-resend").addEventListener("click", () => {
  const form = $("reset-form");
  if (!state.resetEmail || form.getAttribute("aria-busy") === "true") {
    return;
  }
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      await call("forgotPassword", { user: state.resetEmail });
      $("reset-note").textContent = resetNote(state.resetEmail);
      say($("reset-message"), "A new code is on its way.", "ok");
      $("reset-code").value = "";
      $("reset-code").focus();
    } catch (error) {
      showError(error, $("reset-message"), "forgotPassword");
    }
  }, "Sending…", $("reset-resend"));
});

onSubmit($("reset-form"), () => {
  const form = $("reset-form");
  const message = $("reset-message");
  if (!checkForm(form, message)) {
    return;
  }
  newAction($("signed-out"));
  busy(form, async () => {
    try {
      await call("confirmForgotPassword", {
        user: state.resetEmail, conf_code: $("reset-code").value, new_pass: $("reset-password").value,
      });
      showLogInForm($("sign-in-form"));
      $("sign-in-email").value = state.resetEmail;
      $("sign-in-password").value = "";
      say($("sign-in-message"), "Your password is changed. Sign in with the new one.", "ok");
      $("sign-in-password").focus();
    } catch (error) {
      showError(error, message, "confirmForgotPassword", form);
      if (error instanceof ApiError && error.code === "LimitExceeded") {
        $("reset-resend").disabled = false;
        $("reset-resend").focus();
      } else if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
        $("reset-code").select();
        $("reset-code").focus();
      }
    }
  }, "Saving…");
});
