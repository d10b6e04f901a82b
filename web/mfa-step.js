// The second step of a sign-in, when the account has MFA: the code step's words for the kind of code
// asked for (from the authenticator app, or sent by text message or email, with where it went, masked
// as the server says it), and the choice among them when several are on and none is preferred
// (SELECT_MFA_TYPE): the person picks one, and that kind's code step follows.

import { ApiError } from "./errors.js";
import { $, busy, checkForm, markInvalid, newAction, onSubmit, say, showError } from "./ui.js";
import { state } from "./state.js";
import { call } from "./api.js";
import { showLogInForm } from "./session.js";
import { askForCode } from "./signed-out.js";

const CHOICES = ["sms", "email", "totp"];

// The code step's heading, note and label for the step the server answered.
export function describeCodeStep(step) {
  const challenge = step && step.challenge;
  const where = step && step.delivery && typeof step.delivery.destination === "string" ? step.delivery.destination : "";
  let heading = "Enter your authenticator code";
  let note = "Open your authenticator app and type the 6-digit code it shows for this site.";
  let label = "Authenticator code";
  if (challenge === "SMS_MFA") {
    heading = "Enter the code we texted you";
    note = where ? `We sent a 6-digit code by text message to ${where}.` : "We sent you a 6-digit code by text message.";
    label = "Code from the text message";
  } else if (challenge === "EMAIL_OTP") {
    heading = "Enter the code we emailed you";
    note = where ? `We sent a 6-digit code by email to ${where}.` : "We sent you a 6-digit code by email.";
    label = "Code from the email";
  }
  $("mfa-heading").textContent = heading;
  $("mfa-note").textContent = note;
  $("mfa-code-label").textContent = label;
}

// A sent code, spaces allowed: 6 digits, else a sentence. Returns the digits, or null.
export function sentCode(form, field, messageElement) {
  const digits = field.value.replace(/\s+/g, "");
  if (!/^[0-9]{6}$/.test(digits)) {
    say(messageElement, "The code is the 6 digits we sent you. Please check it.", "error");
    markInvalid(form, field, messageElement);
    return null;
  }
  return digits;
}

// SELECT_MFA_TYPE: one radio button per kind of code the step offers, the first one chosen.
export function askForChoice(session, email, choices) {
  const offered = CHOICES.filter((choice) => Array.isArray(choices) && choices.includes(choice));
  state.challenge = { session, email, challenge: "SELECT_MFA_TYPE" };
  $("mfa-choice-form").reset();
  say($("mfa-choice-message"), "");
  for (const choice of CHOICES) {
    $(`mfa-choice-${choice}`).hidden = !offered.includes(choice);
  }
  showLogInForm($("mfa-choice-form"));
  const first = offered.length ? $(`mfa-choice-${offered[0]}`).querySelector("input") : null;
  if (first) {
    first.checked = true;
    first.focus();
  }
}

function backToSignIn(error) {
  state.challenge = null;
  showLogInForm($("sign-in-form"));
  if (error) {
    showError(error, $("sign-in-message"), "respondToChallenge");
  }
  $("sign-in-password").value = "";
  $("sign-in-password").focus();
}

onSubmit($("mfa-choice-form"), () => {
  const form = $("mfa-choice-form");
  const message = $("mfa-choice-message");
  if (!checkForm(form, message)) {
    return;
  }
  const picked = form.querySelector("input[name=mfa_choice]:checked");
  if (!picked) {
    say(message, "Please choose how to get your code.", "error");
    return;
  }
  newAction($("signed-out"));
  busy(form, async () => {
    const { session, email } = state.challenge || {};
    try {
      const answer = await call("respondToChallenge", { session, user: email, mfa_choice: picked.value });
      if (answer.session && answer.message === "MFA_REQUIRED") {
        askForCode(answer.session, email, answer);
      } else {
        backToSignIn(new ApiError("ChallengeExpired", "This sign-in step has expired. Please sign in again.", null, 401));
      }
    } catch (error) {
      if (error instanceof ApiError && ["ChallengeExpired", "LimitExceeded"].includes(error.code)) {
        backToSignIn(error);
        return;
      }
      showError(error, message, "respondToChallenge");
    }
  }, "Sending…");
});

$("mfa-choice-cancel").addEventListener("click", () => backToSignIn(null));
