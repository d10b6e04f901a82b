// The page: sign up, log in (with an authenticator code when asked), the hosted UI, account
// settings and "My photos", all through this server: the JSON endpoint (POST /) and the photos API.
//
// The access token lives only in this script's memory. A reload gets a new one from `refresh`,
// which uses the server's HttpOnly refresh cookie; nothing is kept in localStorage, sessionStorage
// or readable cookies. Text that comes from the server or from people (descriptions, names) is
// always set with textContent, never parsed as HTML.
"use strict";

(() => {
  const SIGNED_OUT_SENTENCE = "Click log in/sign up to access this site";
  const SIGNED_IN_SENTENCE = "Click my photos to access your photos";
  const NETWORK_SENTENCE = "We could not reach the server. Check your connection and try again.";
  const SESSION_ENDED_SENTENCE = "Your session has ended. Please log in again.";
  const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  const RENEW_BEFORE_MS = 60 * 1000; // renew the access token this long before it expires

  // Friendlier sentences for some error codes; the server's own sentence is shown otherwise.
  // Some read differently depending on what the person was doing.
  const SENTENCES = {
    NotAuthorized: "The email or password is wrong.",
    UserNotConfirmed: "This account is not confirmed yet. Enter the code we emailed you.",
    PasswordResetRequired: "This account needs a new password. Use “Forgot your password?” to get a reset code.",
    UsernameExists: "An account with this email already exists. Log in instead.",
    CodeMismatch: "That code is wrong. Check it and try again.",
    ExpiredCode: "That code has expired. Ask for a new one.",
    ChallengeExpired: "This log-in step has expired. Please log in again.",
    MfaNotSetUp: "Set up an authenticator app first.",
    NoSession: SESSION_ENDED_SENTENCE,
    SessionExpired: SESSION_ENDED_SENTENCE,
    MissingToken: SESSION_ENDED_SENTENCE,
    InvalidToken: SESSION_ENDED_SENTENCE,
    TokenExpired: SESSION_ENDED_SENTENCE,
    NotAnImage: "That file is not a picture we can read. Choose a JPEG, PNG, GIF or WebP image.",
    PhotoTooLarge: "That photo is larger than 5 MB. Choose a smaller one.",
    PhotoNotFound: "That photo no longer exists.",
  };
  const SENTENCES_BY_ACTION = {
    changePass: { NotAuthorized: "Your current password is wrong." },
    confirmAccount: { NotAuthorized: "This account is confirmed already, or the password is wrong. Try logging in." },
    forgotPassword: { NotAuthorized: "The password of this account cannot be reset." },
    confirmForgotPassword: { NotAuthorized: "The password of this account cannot be reset." },
  };
  // When the answer is not our JSON (a proxy's page, say), a sentence from the status.
  const STATUS_SENTENCES = {
    413: "That is too large to send.",
    429: "Too many attempts. Wait a moment and try again.",
  };

  const $ = (id) => document.getElementById(id);

  const state = {
    accessToken: null,
    expiresAt: 0,
    viaHostedUi: false, // signed in through the hosted UI: signing out also ends its session
    email: null,
    pending: null, // {email, password} between sign-up (or an unconfirmed log-in) and confirmation
    challenge: null, // the signIn answer's session while the authenticator code is asked
    resetEmail: null,
    photoUrls: [], // blob: URLs of the drawn list, revoked when it is drawn again
    listGeneration: 0,
    viewerUrl: null,
  };

  class ApiError extends Error {
    constructor(code, message, field, status) {
      super(message);
      this.code = code;
      this.field = field || null;
      this.status = status;
    }
  }

  // Thrown once the person has been shown as signed out: nothing more to say about it.
  class SessionEnded extends Error {}

  // ---------------------------------------------------------------- talking to the server

  async function readJson(response) {
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }

  function errorFrom(status, body) {
    if (body && typeof body.error === "string") {
      const message = typeof body.message === "string" && body.message ? body.message : null;
      return new ApiError(body.error, message || STATUS_SENTENCES[status] || "Something went wrong. Please try again.",
        typeof body.field === "string" ? body.field : null, status);
    }
    return new ApiError("HttpError", STATUS_SENTENCES[status] || "Something went wrong. Please try again.", null, status);
  }

  async function send(url, init) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", ...init });
    } catch (_) {
      throw new ApiError("NetworkError", NETWORK_SENTENCE, null, 0);
    }
    if (!response.ok) {
      throw errorFrom(response.status, await readJson(response));
    }
    return response;
  }

  // One method of the JSON endpoint; resolves to the answer, rejects with an ApiError.
  async function call(method, fields) {
    const response = await send("/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ env: method, ...(fields || {}) }),
    });
    return (await readJson(response)) || {};
  }

  function keepTokens(answer) {
    state.accessToken = answer.access_token;
    const seconds = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : 3600;
    state.expiresAt = Date.now() + seconds * 1000;
  }

  // A new access token from the refresh cookie. Calls made at the same time share one refresh.
  let refreshing = null;
  function refreshTokens() {
    if (!refreshing) {
      refreshing = call("refresh", {}).then(keepTokens).finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // Refresh while signed in; when the session is over, show the signed-out page and stop.
  async function renew() {
    try {
      await refreshTokens();
    } catch (error) {
      if (error.status === 401) {
        showSignedOut(SESSION_ENDED_SENTENCE);
        throw new SessionEnded();
      }
      throw error;
    }
  }

  // Run `action(token)` with a current access token; when the token turns out to have expired
  // (one of `retryOn`), refresh once and try again.
  async function withToken(action, retryOn) {
    if (!state.accessToken) {
      showSignedOut(SESSION_ENDED_SENTENCE);
      throw new SessionEnded();
    }
    if (Date.now() > state.expiresAt - RENEW_BEFORE_MS) {
      await renew();
    }
    try {
      return await action(state.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401 && retryOn.includes(error.code))) {
        throw error;
      }
      await renew();
      return action(state.accessToken);
    }
  }

  // A JSON method that takes the access token. Cognito answers NotAuthorized for an expired one,
  // except for changePass, where it also means a wrong current password (not worth a refresh).
  function userCall(method, fields) {
    const retryOn = method === "changePass" ? ["TokenExpired"] : ["TokenExpired", "NotAuthorized", "InvalidToken"];
    return withToken((token) => call(method, { ...fields, access_token: token }), retryOn);
  }

  // A request to the photos API, with the access token as a Bearer header.
  function photosRequest(url, init) {
    return withToken((token) => send(url, {
      ...(init || {}),
      headers: { ...((init && init.headers) || {}), Authorization: `Bearer ${token}` },
    }), ["TokenExpired"]);
  }

  // ---------------------------------------------------------------- messages

  function sentenceFor(error, action) {
    if (!(error instanceof ApiError)) {
      return "Something went wrong on this page. Please reload it and try again.";
    }
    const byAction = SENTENCES_BY_ACTION[action] || {};
    return byAction[error.code] || SENTENCES[error.code] || error.message;
  }

  function say(element, text, kind) {
    element.textContent = text || "";
    element.classList.toggle("error", kind === "error");
    element.classList.toggle("ok", kind === "ok");
  }

  function clearInvalid(form) {
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }

  // Show an error near `form` (in `messageElement`) and put the focus on the field it names.
  function showError(error, messageElement, action, form) {
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

  function markInvalid(form, field, messageElement) {
    clearInvalid(form);
    if (field && typeof field.focus === "function") {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", messageElement.id);
      field.focus();
    }
  }

  // The browser's own checks (required, type=email, minlength), said as one sentence.
  function checkForm(form, messageElement) {
    clearInvalid(form);
    for (const field of form.elements) {
      if (field.willValidate && !field.checkValidity()) {
        const label = form.querySelector(`label[for="${field.id}"]`);
        const name = label ? label.textContent.replace(/\s*\(.*\)\s*$/, "").trim() : field.name;
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

  // Disable a form's buttons while its request runs, so Enter twice does not send it twice.
  async function busy(form, work) {
    const buttons = form.querySelectorAll("button");
    form.setAttribute("aria-busy", "true");
    buttons.forEach((button) => { button.disabled = true; });
    try {
      return await work();
    } finally {
      form.removeAttribute("aria-busy");
      buttons.forEach((button) => { button.disabled = false; });
    }
  }

  function onSubmit(form, handler) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.getAttribute("aria-busy") === "true") {
        return;
      }
      handler();
    });
  }

  // ---------------------------------------------------------------- the two states of the page

  function showOnly(container, visible) {
    for (const child of container.children) {
      if (child.tagName === "FORM") {
        child.hidden = child !== visible;
      }
    }
  }

  function chooseSignedOutPanel(which) {
    const logIn = which === "log-in";
    $("log-in-panel").hidden = !logIn;
    $("sign-up-panel").hidden = logIn;
    $("show-log-in").setAttribute("aria-pressed", String(logIn));
    $("show-sign-up").setAttribute("aria-pressed", String(!logIn));
  }

  function showLogInForm(form) {
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

  function showSignedOut(notice) {
    state.accessToken = null;
    state.expiresAt = 0;
    state.viaHostedUi = false;
    state.email = null;
    clearPhotos();
    closeViewer();
    resetSignedInForms();
    $("signed-in").hidden = true;
    $("signed-out").hidden = false;
    $("who").hidden = true;
    $("who").textContent = "";
    $("status").textContent = SIGNED_OUT_SENTENCE;
    say($("page-message"), notice || "", notice ? "error" : null);
    resetSignedOutForms();
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

  async function showSignedIn() {
    $("signed-out").hidden = true;
    $("signed-in").hidden = false;
    say($("page-message"), "");
    $("status").textContent = SIGNED_IN_SENTENCE;
    $("who").hidden = true;
    resetSignedInForms();
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
  async function signedIn(answer) {
    keepTokens(answer);
    state.viaHostedUi = false; // a JSON sign-in ends any hosted-UI session (the server does so)
    state.pending = null;
    state.challenge = null;
    await showSignedIn();
    $("status").focus();
  }

  // ---------------------------------------------------------------- signed out: log in and sign up

  $("show-log-in").addEventListener("click", () => {
    showLogInForm($("sign-in-form"));
    $("sign-in-email").focus();
  });
  $("show-sign-up").addEventListener("click", () => {
    chooseSignedOutPanel("sign-up");
    if ($("confirm-form").hidden) {
      $("sign-up-email").focus();
    } else {
      $("confirm-code").focus();
    }
  });

  onSubmit($("sign-in-form"), () => {
    const form = $("sign-in-form");
    const message = $("sign-in-message");
    if (!checkForm(form, message)) {
      return;
    }
    const email = $("sign-in-email").value.trim();
    const password = $("sign-in-password").value;
    busy(form, async () => {
      try {
        const answer = await call("signIn", { user: email, pass: password });
        if (answer.access_token) {
          await signedIn(answer);
        } else if (answer.message === "MFA_REQUIRED" && answer.session) {
          state.challenge = answer.session;
          $("mfa-form").reset();
          say($("mfa-message"), "");
          showLogInForm($("mfa-form"));
          $("mfa-code").focus();
        } else {
          say(message, "This account needs a step this page cannot do. Use “Sign in with the hosted UI” instead.", "error");
        }
      } catch (error) {
        if (error instanceof ApiError && error.code === "UserNotConfirmed") {
          startConfirmation(email, password, SENTENCES.UserNotConfirmed);
          return;
        }
        showError(error, message, "signIn", form);
        if (error instanceof ApiError && error.code === "NotAuthorized") {
          $("sign-in-password").select();
          $("sign-in-password").focus();
        }
      }
    });
  });

  onSubmit($("mfa-form"), () => {
    const form = $("mfa-form");
    const message = $("mfa-message");
    if (!checkForm(form, message)) {
      return;
    }
    busy(form, async () => {
      try {
        await signedIn(await call("respondToChallenge", { session: state.challenge, totp: $("mfa-code").value }));
      } catch (error) {
        if (error instanceof ApiError && error.code === "ChallengeExpired") {
          showLogInForm($("sign-in-form"));
          showError(error, $("sign-in-message"), "respondToChallenge");
          $("sign-in-password").focus();
          return;
        }
        showError(error, message, "respondToChallenge");
        $("mfa-code").select();
        $("mfa-code").focus();
      }
    });
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
    busy(form, async () => {
      try {
        const answer = await call("createAccount", {
          user: email, pass: password, nickname: $("sign-up-nickname").value.trim(),
        });
        if (answer.user_confirmed) {
          await signedIn(await call("signIn", { user: email, pass: password }));
          return;
        }
        startConfirmation(email, password, codeSentSentence(answer, email));
      } catch (error) {
        showError(error, message, "createAccount", form);
      }
    });
  });

  function codeSentSentence(answer, email) {
    const where = answer && answer.delivery && typeof answer.delivery.destination === "string"
      ? answer.delivery.destination : email;
    return `We emailed a confirmation code to ${where}. Enter it below.`;
  }

  // The confirmation step, for a new account or one whose log-in said it is not confirmed yet.
  function startConfirmation(email, password, note) {
    state.pending = { email, password };
    chooseSignedOutPanel("sign-up");
    showOnly($("sign-up-panel"), $("confirm-form"));
    $("confirm-form").reset();
    $("confirm-note").textContent = note;
    say($("confirm-message"), "");
    $("confirm-code").focus();
  }

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
    busy(form, async () => {
      try {
        await signedIn(await call("confirmAccount", {
          user: state.pending.email, pass: state.pending.password, conf_code: $("confirm-code").value,
        }));
      } catch (error) {
        showError(error, message, "confirmAccount", form);
        if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
          $("confirm-code").select();
          $("confirm-code").focus();
        }
      }
    });
  });

  $("resend-code").addEventListener("click", () => {
    const form = $("confirm-form");
    if (!state.pending || form.getAttribute("aria-busy") === "true") {
      return;
    }
    busy(form, async () => {
      try {
        const answer = await call("resendCode", { user: state.pending.email });
        say($("confirm-message"), `A new code is on its way. ${codeSentSentence(answer, state.pending.email)}`, "ok");
        $("confirm-code").focus();
      } catch (error) {
        showError(error, $("confirm-message"), "resendCode");
      }
    });
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
    busy(form, async () => {
      try {
        const answer = await call("forgotPassword", { user: email });
        state.resetEmail = email;
        $("reset-form-username").setAttribute("value", email);
        $("reset-form").reset();
        say($("reset-message"), "");
        const where = answer.delivery && typeof answer.delivery.destination === "string"
          ? answer.delivery.destination : email;
        $("reset-note").textContent = `If ${email} has an account, we emailed a code to ${where}.`;
        showLogInForm($("reset-form"));
        $("reset-code").focus();
      } catch (error) {
        showError(error, message, "forgotPassword", form);
      }
    });
  });

  onSubmit($("reset-form"), () => {
    const form = $("reset-form");
    const message = $("reset-message");
    if (!checkForm(form, message)) {
      return;
    }
    busy(form, async () => {
      try {
        await call("confirmForgotPassword", {
          user: state.resetEmail, conf_code: $("reset-code").value, new_pass: $("reset-password").value,
        });
        showLogInForm($("sign-in-form"));
        $("sign-in-email").value = state.resetEmail;
        $("sign-in-password").value = "";
        say($("sign-in-message"), "Your password is changed. Log in with the new one.", "ok");
        $("sign-in-password").focus();
      } catch (error) {
        showError(error, message, "confirmForgotPassword", form);
      }
    });
  });

  // ---------------------------------------------------------------- signed in: navigation, sign out

  function choosePanel(which) {
    $("photos-panel").hidden = which !== "photos";
    $("account-panel").hidden = which !== "account";
    $("show-photos").setAttribute("aria-pressed", String(which === "photos"));
    $("show-account").setAttribute("aria-pressed", String(which === "account"));
  }

  $("show-photos").addEventListener("click", () => {
    choosePanel("photos");
    $("photos-heading").focus();
    loadPhotos();
  });

  $("show-account").addEventListener("click", () => {
    choosePanel("account");
    $("account-heading").focus();
  });

  $("sign-out").addEventListener("click", async () => {
    const button = $("sign-out");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    const viaHostedUi = state.viaHostedUi;
    try {
      await call("signOut", {});
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        showError(error, $("signed-in-message"), "signOut");
        return;
      }
    } finally {
      button.disabled = false;
    }
    if (viaHostedUi) {
      window.location.assign("/logout"); // ends the hosted UI's own session too, then comes back here
      return;
    }
    showSignedOut();
    $("show-log-in").focus();
  });

  // ---------------------------------------------------------------- account settings

  onSubmit($("password-form"), () => {
    const form = $("password-form");
    const message = $("password-message");
    if (!checkForm(form, message)) {
      return;
    }
    busy(form, async () => {
      try {
        await userCall("changePass", { old_pass: $("old-password").value, new_pass: $("new-password").value });
        form.reset();
        say(message, "Your password is changed.", "ok");
      } catch (error) {
        showError(error, message, "changePass", form);
      }
    });
  });

  function hideTotpSetup() {
    $("totp-form").hidden = true;
    $("totp-qr").removeAttribute("src");
    $("totp-secret").textContent = "";
  }

  $("mfa-start").addEventListener("click", async () => {
    const message = $("mfa-setup-message");
    say(message, "");
    if (!state.email) {
      say(message, "We could not read your email address, which the authenticator app needs. Reload the page and try again.", "error");
      return;
    }
    $("mfa-start").disabled = true;
    try {
      const answer = await userCall("QR_init", { user: state.email });
      // The SVG is shown as an image from a data: URL: never inserted into the page as markup.
      $("totp-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.qr_svg)}`;
      $("totp-secret").textContent = answer.secret_code;
      $("totp-form").reset();
      $("totp-form").hidden = false;
      $("totp-code").focus();
    } catch (error) {
      showError(error, message, "QR_init");
    } finally {
      $("mfa-start").disabled = false;
    }
  });

  onSubmit($("totp-form"), () => {
    const form = $("totp-form");
    const message = $("mfa-setup-message");
    if (!checkForm(form, message)) {
      return;
    }
    busy(form, async () => {
      try {
        await userCall("QR_TOTP", { totp: $("totp-code").value });
        hideTotpSetup();
        say(message, "Authenticator codes are on. Logging in will ask for a code from your app.", "ok");
        $("mfa-start").focus();
      } catch (error) {
        showError(error, message, "QR_TOTP", form);
        $("totp-code").select();
        $("totp-code").focus();
      }
    });
  });

  $("totp-cancel").addEventListener("click", () => {
    hideTotpSetup();
    say($("mfa-setup-message"), "");
    $("mfa-start").focus();
  });

  $("mfa-off").addEventListener("click", async () => {
    const message = $("mfa-setup-message");
    $("mfa-off").disabled = true;
    try {
      await userCall("setMfa", { enabled: false });
      hideTotpSetup();
      say(message, "Authenticator codes are off. Logging in needs only your password.", "ok");
    } catch (error) {
      showError(error, message, "setMfa");
    } finally {
      $("mfa-off").disabled = false;
    }
  });

  $("delete-start").addEventListener("click", () => {
    $("delete-start").hidden = true;
    $("delete-confirm").hidden = false;
    say($("delete-message"), "");
    $("delete-no").focus();
  });

  $("delete-no").addEventListener("click", () => {
    $("delete-confirm").hidden = true;
    $("delete-start").hidden = false;
    $("delete-start").focus();
  });

  $("delete-yes").addEventListener("click", async () => {
    const viaHostedUi = state.viaHostedUi;
    $("delete-yes").disabled = true;
    try {
      await userCall("deleteAcct", {});
    } catch (error) {
      showError(error, $("delete-message"), "deleteAcct");
      return;
    } finally {
      $("delete-yes").disabled = false;
    }
    if (viaHostedUi) {
      window.location.assign("/logout");
      return;
    }
    showSignedOut();
    say($("page-message"), "Your account is deleted.", "ok");
    $("show-sign-up").focus();
  });

  // ---------------------------------------------------------------- my photos

  function clearPhotos() {
    state.listGeneration += 1; // thumbnails still loading for the old list are dropped
    for (const url of state.photoUrls) {
      URL.revokeObjectURL(url);
    }
    state.photoUrls = [];
    $("photo-list").replaceChildren();
    $("photos-empty").hidden = true;
  }

  function shortText(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}…` : text;
  }

  function whenText(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
  }

  function photoName(photo) {
    const description = typeof photo.description === "string" ? photo.description.trim() : "";
    if (description) {
      return shortText(description, 80);
    }
    const when = whenText(photo.created_at);
    return when ? `Photo added ${when}` : "Photo";
  }

  async function loadPhotos() {
    const message = $("photos-message");
    say(message, "Loading your photos…");
    try {
      const response = await photosRequest("/photos", { method: "GET" });
      const body = (await readJson(response)) || {};
      drawPhotos(Array.isArray(body.photos) ? body.photos : []);
      say(message, "");
    } catch (error) {
      showError(error, message, "photos");
    }
  }

  function drawPhotos(photos) {
    clearPhotos();
    const generation = state.listGeneration;
    const list = $("photo-list");
    $("photos-empty").hidden = photos.length > 0;
    for (const photo of photos) {
      if (!photo || typeof photo.id !== "string") {
        continue;
      }
      const item = document.createElement("li");
      item.className = "photo";
      item.dataset.photoId = photo.id;
      item.dataset.testid = "photo";

      const open = document.createElement("button");
      open.type = "button";
      open.className = "thumb";
      open.setAttribute("aria-label", `Open ${photoName(photo)}`);
      const image = document.createElement("img");
      image.alt = "";
      image.width = 300;
      image.height = 300;
      image.dataset.testid = "thumbnail";
      open.append(image);
      open.addEventListener("click", () => openViewer(photo));

      const caption = document.createElement("div");
      caption.className = "caption";
      const text = document.createElement("p");
      text.className = "description";
      text.textContent = typeof photo.description === "string" ? photo.description : "";
      const time = document.createElement("time");
      time.dateTime = typeof photo.created_at === "string" ? photo.created_at : "";
      time.textContent = whenText(photo.created_at);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary small";
      remove.textContent = "Delete";
      remove.dataset.testid = "delete-photo";
      remove.setAttribute("aria-label", `Delete ${photoName(photo)}`);
      remove.addEventListener("click", () => deletePhoto(photo, item, remove));
      caption.append(text, time, remove);

      item.append(open, caption);
      list.append(item);
      loadImage(thumbnailUrl(photo), image, generation);
    }
  }

  // Only paths of this site, as the API gives them; anything else falls back to the known path.
  function sameSitePath(value, fallback) {
    return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") ? value : fallback;
  }

  function thumbnailUrl(photo) {
    return sameSitePath(photo.thumbnail_url, `/photos/${encodeURIComponent(photo.id)}/thumbnail`);
  }

  function imageUrl(photo) {
    return sameSitePath(photo.image_url, `/photos/${encodeURIComponent(photo.id)}/image`);
  }

  // Images need the Bearer header, so they are fetched here and shown from blob: URLs.
  async function loadImage(url, image, generation) {
    try {
      const blob = await (await photosRequest(url, { method: "GET" })).blob();
      const objectUrl = URL.createObjectURL(blob);
      if (generation !== state.listGeneration) {
        URL.revokeObjectURL(objectUrl); // the list was drawn again meanwhile
        return;
      }
      state.photoUrls.push(objectUrl);
      image.src = objectUrl;
    } catch (error) {
      if (!(error instanceof SessionEnded) && generation === state.listGeneration) {
        image.alt = "This photo could not be loaded.";
      }
    }
  }

  async function deletePhoto(photo, item, button) {
    const message = $("photos-message");
    button.disabled = true;
    try {
      await photosRequest(`/photos/${encodeURIComponent(photo.id)}`, { method: "DELETE" });
      say(message, "The photo is deleted.", "ok");
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "PhotoNotFound")) {
        button.disabled = false;
        showError(error, message, "photos");
        return;
      }
      say(message, SENTENCES.PhotoNotFound, "ok");
    }
    // Focus goes to the next photo's delete button, or the previous one's, or the upload form.
    const next = item.nextElementSibling || item.previousElementSibling;
    const image = item.querySelector("img");
    if (image && image.src.startsWith("blob:")) {
      URL.revokeObjectURL(image.src);
      state.photoUrls = state.photoUrls.filter((url) => url !== image.src);
    }
    item.remove();
    $("photos-empty").hidden = $("photo-list").children.length > 0;
    if (next) {
      next.querySelector("[data-testid=delete-photo]").focus();
    } else {
      $("upload-file").focus();
    }
  }

  onSubmit($("upload-form"), () => {
    const form = $("upload-form");
    const message = $("upload-message");
    if (!checkForm(form, message)) {
      return;
    }
    const file = $("upload-file").files[0];
    if (file.size > MAX_PHOTO_BYTES) {
      say(message, SENTENCES.PhotoTooLarge, "error");
      markInvalid(form, $("upload-file"), message);
      return;
    }
    const data = new FormData();
    data.append("photo", file, file.name);
    data.append("description", $("upload-description").value);
    busy(form, async () => {
      say(message, "Uploading…");
      try {
        await photosRequest("/photos", { method: "POST", body: data });
        form.reset();
        say(message, "Your photo is uploaded.", "ok");
        await loadPhotos();
      } catch (error) {
        showError(error, message, "photos", form);
        if (error instanceof ApiError && !error.field && ["NotAnImage", "PhotoTooLarge"].includes(error.code)) {
          markInvalid(form, $("upload-file"), message);
        }
      }
    });
  });

  // The full-size photo, in a dialog (Escape or "Close" closes it; focus returns to the thumbnail).
  async function openViewer(photo) {
    const viewer = $("photo-viewer");
    closeViewer();
    $("viewer-title").textContent = photoName(photo);
    $("viewer-description").textContent = typeof photo.description === "string" ? photo.description : "";
    $("viewer-image").alt = typeof photo.description === "string" ? photo.description : "";
    say($("viewer-message"), "Loading the photo…");
    viewer.showModal();
    try {
      const blob = await (await photosRequest(imageUrl(photo), { method: "GET" })).blob();
      if (!viewer.open) {
        return;
      }
      state.viewerUrl = URL.createObjectURL(blob);
      $("viewer-image").src = state.viewerUrl;
      say($("viewer-message"), "");
    } catch (error) {
      showError(error, $("viewer-message"), "photos");
    }
  }

  function closeViewer() {
    const viewer = $("photo-viewer");
    if (viewer.open) {
      viewer.close();
    }
  }

  $("viewer-close").addEventListener("click", closeViewer);
  $("photo-viewer").addEventListener("close", () => {
    $("viewer-image").removeAttribute("src");
    if (state.viewerUrl) {
      URL.revokeObjectURL(state.viewerUrl);
      state.viewerUrl = null;
    }
  });

  // ---------------------------------------------------------------- start

  // Whether this browser's session came from the hosted UI (then signing out also ends it there).
  async function hostedUiSession() {
    try {
      const response = await fetch("/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      const body = response.ok ? await readJson(response) : null;
      return Boolean(body && body.signed_in);
    } catch (_) {
      return false;
    }
  }

  async function start() {
    try {
      await refreshTokens();
    } catch (error) {
      // 401 NoSession / SessionExpired: nobody is signed in here, which is no error.
      showSignedOut(error instanceof ApiError && error.status === 401 ? null
        : `We could not check whether you are signed in. ${sentenceFor(error, "refresh")}`);
      return;
    }
    state.viaHostedUi = await hostedUiSession();
    await showSignedIn();
  }

  start();
})();
