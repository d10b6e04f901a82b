// Sign-in codes by text message or email, in account settings: whether each is on (getUser's
// mfa_methods), the phone number they go to (added and verified with a texted code: updateUser,
// verifyAttribute), and the buttons that turn each on or off (setMfa). With "ask me each time",
// turning one on leaves no kind preferred, so a sign-in with several on lets the person choose.

import { ApiError } from "./errors.js";
import { $, busy, busyButton, checkForm, clearInvalid, markInvalid, newAction, onSubmit, say, showError } from "./ui.js";
import { userCall } from "./api.js";
import { showMfaState } from "./account.js";

let profile = null; // the getUser answer shown

// What getUser said: which kinds are on, and whether there is a verified number for text messages.
export function showCodes(answer) {
  profile = answer;
  const methods = answer && Array.isArray(answer.mfa_methods) ? answer.mfa_methods : [];
  const attributes = (answer && answer.attributes) || {};
  const phone = typeof attributes.phone_number === "string" ? attributes.phone_number : "";
  const phoneVerified = attributes.phone_number_verified === "true";
  const sms = methods.includes("SMS_MFA");
  const email = methods.includes("EMAIL_OTP");
  // One text node a sentence, each a whole sentence the page's language can translate (i18n.js).
  const sentences = [sms ? "Text-message codes are on." : "Text-message codes are off.",
    email ? "Email codes are on." : "Email codes are off."];
  if (phone && phoneVerified) {
    sentences.push(`Text messages go to ${phone}.`);
  }
  const nodes = answer ? sentences.flatMap((sentence, index) => (index ? [" ", sentence] : [sentence])) : [];
  $("codes-status").replaceChildren(...nodes);
  $("codes-status").classList.toggle("on", sms || email);
  $("phone-form").hidden = !answer || (phoneVerified && Boolean(phone)) || !$("phone-code-form").hidden;
  $("sms-on").hidden = !answer || sms || !phoneVerified;
  $("sms-off").hidden = !sms;
  $("email-codes-on").hidden = !answer || email;
  $("email-codes-off").hidden = !email;
  $("mfa-ask-each-time").checked = Boolean(answer) && methods.length > 1 && !answer.mfa_preferred;
}

export function resetCodes() {
  for (const id of ["phone-form", "phone-code-form"]) {
    $(id).reset();
    clearInvalid($(id));
  }
  $("phone-code-form").hidden = true;
  showCodes(null);
}

// getUser again, after a change: this box and the authenticator's state.
async function reread() {
  const answer = await userCall("getUser", {});
  showCodes(answer);
  showMfaState(Array.isArray(answer.mfa_methods) && answer.mfa_methods.includes("SOFTWARE_TOKEN_MFA"));
}

onSubmit($("phone-form"), () => {
  const form = $("phone-form");
  const message = $("codes-message");
  newAction($("account-panel"));
  const number = $("phone-number").value.replace(/[\s().-]/g, "");
  $("phone-number").value = number;
  if (!checkForm(form, message)) {
    return;
  }
  busy(form, async () => {
    try {
      const answer = await userCall("updateUser", { phone_number: number });
      const delivery = (answer.code_deliveries || []).find((each) => each.attribute === "phone_number");
      if (!delivery) {
        say(message, "This site does not send text messages, so it cannot verify the number.", "error");
        return;
      }
      form.hidden = true;
      $("phone-code-form").reset();
      $("phone-code-form").hidden = false;
      $("phone-code-destination").textContent = number;
      $("phone-code").focus();
    } catch (error) {
      showError(error, message, "updateUser", form);
    }
  }, "Sending…");
});

onSubmit($("phone-code-form"), () => {
  const form = $("phone-code-form");
  const message = $("codes-message");
  newAction($("account-panel"));
  if (!checkForm(form, message)) {
    return;
  }
  busy(form, async () => {
    try {
      await userCall("verifyAttribute", { attribute: "phone_number", code: $("phone-code").value });
      form.hidden = true;
      await reread();
      say(message, "Your number is verified. You can turn on text-message codes.", "ok");
      $("sms-on").focus();
    } catch (error) {
      showError(error, message, "verifyAttribute", form);
      if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
        markInvalid(form, $("phone-code"), message);
      }
    }
  }, "Checking…");
});

$("phone-code-cancel").addEventListener("click", () => {
  resetCodes();
  showCodes(profile);
  $("phone-number").focus();
});

// setMfa for one kind of code, then the box read again.
function toggle(button, method, enabled, done, doing) {
  button.addEventListener("click", async () => {
    const message = $("codes-message");
    newAction($("account-panel"));
    const preferred = !$("mfa-ask-each-time").checked;
    const changed = await busyButton(button, async () => {
      try {
        await userCall("setMfa", { method, enabled, preferred });
        await reread();
        return true;
      } catch (error) {
        showError(error, message, "setMfa");
        return false;
      }
    }, doing);
    if (changed) {
      say(message, done, "ok");
    }
  });
}

toggle($("sms-on"), "sms", true, "Text-message codes are on. Signing in will text you a code.", "Turning on…");
toggle($("sms-off"), "sms", false, "Text-message codes are off.", "Turning off…");
toggle($("email-codes-on"), "email", true, "Email codes are on. Signing in will email you a code.", "Turning on…");
toggle($("email-codes-off"), "email", false, "Email codes are off.", "Turning off…");

// "Ask me each time", changed while more than one kind is on: no kind preferred, or the first one.
$("mfa-ask-each-time").addEventListener("change", async () => {
  const box = $("mfa-ask-each-time");
  const methods = profile && Array.isArray(profile.mfa_methods) ? profile.mfa_methods : [];
  const ours = { SMS_MFA: "sms", SOFTWARE_TOKEN_MFA: "totp", EMAIL_OTP: "email" }[methods[0]];
  if (methods.length < 2 || !ours) {
    return; // said when a kind is turned on
  }
  const message = $("codes-message");
  newAction($("account-panel"));
  box.disabled = true;
  try {
    await userCall("setMfa", { method: ours, enabled: true, preferred: !box.checked });
    await reread();
    say(message, box.checked ? "Signing in will ask which kind of code to send." : "Signing in will use one kind of code.", "ok");
  } catch (error) {
    box.checked = !box.checked;
    showError(error, message, "setMfa");
  } finally {
    box.disabled = false;
  }
});
