// "Change email" in account settings: the new address (updateUser), then the code sent to it
// (verifyAttribute), which can be sent again (resendAttributeCode). Until the code is given, the
// account keeps signing in with its current email, as the user pool keeps it; once it is, the page
// reads the account again and says so.

import { ApiError } from "./errors.js";
import { $, busy, busyButton, checkForm, clearInvalid, markInvalid, newAction, onSubmit, say, showError } from "./ui.js";
import { userCall } from "./api.js";
import { showSignedIn } from "./session.js";

// The account's email, as getUser said it.
export function showEmail(email) {
  $("email-current").textContent = email || "";
}

export function resetEmailChange() {
  for (const id of ["email-change-form", "email-code-form"]) {
    $(id).reset();
    clearInvalid($(id));
    $(id).hidden = true;
  }
  $("email-code-destination").textContent = "";
  $("email-change-start").hidden = false;
}

$("email-change-start").addEventListener("click", () => {
  newAction($("account-panel"));
  $("email-change-start").hidden = true;
  $("email-change-form").hidden = false;
  $("email-new").focus();
});

$("email-change-cancel").addEventListener("click", () => {
  resetEmailChange();
  $("email-change-start").focus();
});

onSubmit($("email-change-form"), () => {
  const form = $("email-change-form");
  const message = $("email-message");
  newAction($("account-panel"));
  if (!checkForm(form, message)) {
    return;
  }
  const email = $("email-new").value.trim();
  busy(form, async () => {
    try {
      const answer = await userCall("updateUser", { email });
      const delivery = (answer.code_deliveries || []).find((each) => each.attribute === "email");
      form.hidden = true;
      $("email-code-form").reset();
      $("email-code-form").hidden = false;
      // Said as typed: the answer's masked address would say it a second time, less clearly.
      $("email-code-destination").textContent = email;
      say(message, delivery ? "" : "Your email is changed.", delivery ? null : "ok");
      $("email-code").focus();
    } catch (error) {
      showError(error, message, "updateUser", form);
    }
  }, "Sending…");
});

onSubmit($("email-code-form"), () => {
  const form = $("email-code-form");
  const message = $("email-message");
  newAction($("account-panel"));
  if (!checkForm(form, message)) {
    return;
  }
  busy(form, async () => {
    try {
      await userCall("verifyAttribute", { attribute: "email", code: $("email-code").value });
    } catch (error) {
      showError(error, message, "verifyAttribute", form);
      if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
        markInvalid(form, $("email-code"), message);
        $("email-code").select();
      }
      return;
    }
    const email = $("email-code-destination").textContent;
    await showSignedIn(`Your email is now ${email}. Sign in with it from now on.`);
  }, "Confirming…");
});

$("email-code-resend").addEventListener("click", async () => {
  const message = $("email-message");
  newAction($("account-panel"));
  await busyButton($("email-code-resend"), async () => {
    try {
      await userCall("resendAttributeCode", { attribute: "email" });
      say(message, "We sent a new code.", "ok");
    } catch (error) {
      showError(error, message, "resendAttributeCode");
    }
  }, "Sending…");
});

$("email-code-cancel").addEventListener("click", () => {
  resetEmailChange();
  say($("email-message"), "Your email is unchanged. A code you already got stays good for a day.", "ok");
  $("email-change-start").focus();
});
