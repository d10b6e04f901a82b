// The page: sign up, log in (with an authenticator code when asked), the hosted UI, account
// settings and "My photos", all through this server: the JSON endpoint (POST /) and the photos API.
//
// The access token lives only in this script's memory. A reload gets a new one from `refresh`,
// which uses the server's HttpOnly refresh cookie; no token is kept in localStorage, sessionStorage
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
  const ACCOUNT_CHANGED_SENTENCE = "Someone signed in with another account in this browser, so this page now shows that account.";
  const TOO_MANY_CODES_SENTENCE = "Too many wrong codes. Ask for a new code.";
  const DELETED_FLAG = "account-deleted"; // sessionStorage, one shot: "1" between deleteAcct and /logout's return

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
    confirmAccount: {
      NotAuthorized: "This account is confirmed already, or the password is wrong. Try logging in.",
      LimitExceeded: TOO_MANY_CODES_SENTENCE,
    },
    forgotPassword: { NotAuthorized: "The password of this account cannot be reset." },
    confirmForgotPassword: {
      NotAuthorized: "The password of this account cannot be reset.",
      LimitExceeded: TOO_MANY_CODES_SENTENCE,
    },
    // An authenticator code cannot be sent again: a new log-in asks for the app's next code.
    respondToChallenge: { LimitExceeded: "Too many wrong codes. Log in again and type the newest code from your app." },
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
    sub: null, // whose token this page holds (the access token's `sub`)
    // Bumped whenever the person shown changes (sign-in, sign-out, another account in this browser):
    // answers to requests started under an older epoch are dropped.
    epoch: 0,
    photoUrls: [], // blob: URLs of the drawn list, revoked when it is drawn again
    listGeneration: 0,
    loadSeq: 0, // the newest loadPhotos; older answers are ignored
    loadsInFlight: 0,
    deletedIds: new Set(), // photos deleted in this epoch: never drawn again from an older answer
    viewerSeq: 0, // the photo the viewer was opened for last; bytes of an older one are dropped
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

  // The `sub` claim of an access token (a JWT: its middle part is base64url JSON). Not verified:
  // the server does that; here it only tells whose token this is.
  function tokenSub(token) {
    try {
      const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const text = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
      const claims = JSON.parse(decodeURIComponent(Array.from(text,
        (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")));
      return typeof claims.sub === "string" && claims.sub ? claims.sub : null;
    } catch (_) {
      return null;
    }
  }

  function keepTokens(answer) {
    state.accessToken = answer.access_token;
    state.sub = tokenSub(answer.access_token);
    const seconds = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : 3600;
    state.expiresAt = Date.now() + seconds * 1000;
  }

  // A new access token from the refresh cookie. Calls made at the same time share one refresh.
  // The cookie is shared by every tab of this browser: when it now holds another person's session
  // (signed in elsewhere), this page drops everything of the old person and shows the new one.
  // An answer that arrives after a sign-out or sign-in here is ignored.
  let refreshing = null;
  function refreshTokens() {
    if (!refreshing) {
      const epoch = state.epoch;
      refreshing = call("refresh", {}).then((answer) => {
        if (epoch !== state.epoch) {
          return;
        }
        const sub = tokenSub(answer.access_token);
        if (state.sub && sub !== state.sub) {
          accountChanged(answer);
          return;
        }
        keepTokens(answer);
      }).finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // Refresh while signed in; when the session is over, show the signed-out page and stop. When the
  // person changed (or this page signed out meanwhile), the caller's work is for nobody: SessionEnded.
  async function renew(isCurrent) {
    const epoch = state.epoch;
    try {
      await refreshTokens();
    } catch (error) {
      if (epoch !== state.epoch || (isCurrent && !isCurrent())) {
        throw new SessionEnded();
      }
      if (error.status === 401) {
        showSignedOut(SESSION_ENDED_SENTENCE);
        throw new SessionEnded();
      }
      throw error;
    }
    if (epoch !== state.epoch || !state.accessToken) {
      throw new SessionEnded();
    }
  }

  function isAuthFailure(error, codes) {
    return error instanceof ApiError && error.status === 401 && codes.includes(error.code);
  }

  // Run `action(token)` with a current access token; when the token turns out to have expired or
  // been revoked (one of `retryOn`), refresh once and try again; refused again, the session is over.
  // `isCurrent` says whether the caller still wants the answer (a thumbnail of a list drawn since
  // does not): when it does not, nothing is shown, not even the signed-out page.
  async function withToken(action, retryOn, isCurrent) {
    const epoch = state.epoch;
    const current = () => epoch === state.epoch && (!isCurrent || isCurrent());
    if (!state.accessToken) {
      if (current()) {
        showSignedOut(SESSION_ENDED_SENTENCE);
      }
      throw new SessionEnded();
    }
    if (Date.now() > state.expiresAt - RENEW_BEFORE_MS) {
      await renew(current);
    }
    let result;
    try {
      result = await action(state.accessToken);
    } catch (error) {
      if (!current()) {
        throw new SessionEnded();
      }
      if (!isAuthFailure(error, retryOn)) {
        throw error;
      }
      await renew(current);
      try {
        result = await action(state.accessToken);
      } catch (again) {
        if (!current()) {
          throw new SessionEnded();
        }
        if (isAuthFailure(again, retryOn)) {
          showSignedOut(SESSION_ENDED_SENTENCE);
          throw new SessionEnded();
        }
        throw again;
      }
    }
    if (!current()) {
      throw new SessionEnded();
    }
    return result;
  }

  // A JSON method that takes the access token. These answer NotAuthorized for a token that expired
  // or was revoked (never TokenExpired); changePass is handled by changePassword below.
  function userCall(method, fields) {
    return withToken((token) => call(method, { ...fields, access_token: token }), ["NotAuthorized"]);
  }

  // A request to the photos API, with the access token as a Bearer header. It answers TokenExpired
  // for an old token and InvalidToken for one whose session ended (signed out, account deleted).
  function photosRequest(url, init, isCurrent) {
    return withToken((token) => send(url, {
      ...(init || {}),
      headers: { ...((init && init.headers) || {}), Authorization: `Bearer ${token}` },
    }), ["TokenExpired", "InvalidToken"], isCurrent);
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

  // Disable a form's buttons while its request runs, so Enter twice does not send it twice.
  async function busy(form, work) {
    const buttons = form.querySelectorAll("button");
    const had = form.contains(document.activeElement) ? document.activeElement : null;
    form.setAttribute("aria-busy", "true");
    buttons.forEach((button) => { button.disabled = true; });
    try {
      return await work();
    } finally {
      form.removeAttribute("aria-busy");
      buttons.forEach((button) => { button.disabled = false; });
      restoreFocus(had);
    }
  }

  // The same for a lone button (not in a form): disabled while `work` runs, the focus kept.
  async function busyButton(button, work) {
    if (button.disabled) {
      return undefined;
    }
    const had = document.activeElement === button ? button : null;
    button.disabled = true;
    try {
      return await work();
    } finally {
      button.disabled = false;
      restoreFocus(had);
    }
  }

  // An authenticator code, spaces allowed: 6 digits, else a sentence naming the field as people
  // know it. Returns the digits, or null after saying what is wrong.
  function authenticatorCode(form, field, messageElement) {
    const digits = field.value.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(digits)) {
      say(messageElement, "The authenticator code is the 6 digits your app shows. Please check it.", "error");
      markInvalid(form, field, messageElement);
      return null;
    }
    return digits;
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

  function showSignedOut(notice, kind) {
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
  async function accountChanged(answer) {
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

  async function showSignedIn(notice) {
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
  async function signedIn(answer) {
    forgetPerson();
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
    const code = authenticatorCode(form, $("mfa-code"), message);
    if (!code) {
      return;
    }
    busy(form, async () => {
      try {
        await signedIn(await call("respondToChallenge", { session: state.challenge, totp: code }));
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
    $("confirm-email").textContent = email; // as typed, not the masked address the answer gives
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
        clearInvalid($("reset-form"));
        say($("reset-message"), "");
        $("reset-note").textContent = resetNote(answer, email);
        showLogInForm($("reset-form"));
        $("reset-code").focus();
      } catch (error) {
        showError(error, message, "forgotPassword", form);
      }
    });
  });

  function resetNote(answer, email) {
    const where = answer && answer.delivery && typeof answer.delivery.destination === "string"
      ? answer.delivery.destination : email;
    return `If ${email} has an account, we emailed a code to ${where}.`;
  }

  $("reset-resend").addEventListener("click", () => {
    const form = $("reset-form");
    if (!state.resetEmail || form.getAttribute("aria-busy") === "true") {
      return;
    }
    busy(form, async () => {
      try {
        const answer = await call("forgotPassword", { user: state.resetEmail });
        $("reset-note").textContent = resetNote(answer, state.resetEmail);
        say($("reset-message"), "A new code is on its way.", "ok");
        $("reset-code").value = "";
        $("reset-code").focus();
      } catch (error) {
        showError(error, $("reset-message"), "forgotPassword");
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
        if (error instanceof ApiError && error.code === "LimitExceeded") {
          $("reset-resend").disabled = false;
          $("reset-resend").focus();
        } else if (error instanceof ApiError && ["CodeMismatch", "ExpiredCode"].includes(error.code)) {
          $("reset-code").select();
          $("reset-code").focus();
        }
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
    const viaHostedUi = state.viaHostedUi;
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
    });
    if (!signedOut) {
      return;
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
        await changePassword($("old-password").value, $("new-password").value);
        form.reset();
        say(message, "Your password is changed.", "ok");
      } catch (error) {
        showError(error, message, "changePass", form);
        if (error instanceof ApiError && error.code === "NotAuthorized") {
          markInvalid(form, $("old-password"), message);
          $("old-password").select();
        }
      }
    });
  });

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
    await busyButton($("mfa-start"), async () => {
      try {
        const answer = await userCall("QR_init", { user: state.email });
        // The SVG is shown as an image from a data: URL: never inserted into the page as markup.
        $("totp-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.qr_svg)}`;
        $("totp-secret").textContent = answer.secret_code;
        $("totp-form").reset();
        clearInvalid($("totp-form"));
        $("totp-form").hidden = false;
        $("totp-code").focus();
      } catch (error) {
        showError(error, message, "QR_init");
      }
    });
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
    busy(form, async () => {
      try {
        await userCall("QR_TOTP", { totp: code });
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
    await busyButton($("mfa-off"), async () => {
      try {
        await userCall("setMfa", { enabled: false });
        hideTotpSetup();
        say(message, "Authenticator codes are off. Logging in needs only your password.", "ok");
      } catch (error) {
        showError(error, message, "setMfa");
      }
    });
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
    const deleted = await busyButton($("delete-yes"), async () => {
      try {
        await userCall("deleteAcct", {});
        return true;
      } catch (error) {
        showError(error, $("delete-message"), "deleteAcct");
        return false;
      }
    });
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

  // The list from the server. Only the newest load of the current person is drawn: an answer
  // that arrives after a newer load, a sign-out, another person or a deletion is ignored.
  async function loadPhotos() {
    const message = $("photos-message");
    const seq = ++state.loadSeq;
    const epoch = state.epoch;
    const current = () => seq === state.loadSeq && epoch === state.epoch;
    say(message, "Loading your photos…");
    state.loadsInFlight += 1;
    try {
      const response = await photosRequest("/photos", { method: "GET" }, current);
      const body = (await readJson(response)) || {};
      if (!current()) {
        return;
      }
      drawPhotos(Array.isArray(body.photos) ? body.photos : []);
      say(message, "");
    } catch (error) {
      if (current()) {
        showError(error, message, "photos");
      }
    } finally {
      state.loadsInFlight -= 1;
    }
  }

  function drawPhotos(all) {
    clearPhotos();
    const generation = state.listGeneration;
    const list = $("photo-list");
    const photos = all.filter((photo) => photo && typeof photo.id === "string" && !state.deletedIds.has(photo.id));
    $("photos-empty").hidden = photos.length > 0;
    for (const photo of photos) {
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
    const current = () => generation === state.listGeneration;
    try {
      const blob = await (await photosRequest(url, { method: "GET" }, current)).blob();
      if (!current()) {
        return;
      }
      const objectUrl = URL.createObjectURL(blob);
      if (!current()) {
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
    const epoch = state.epoch;
    const seqAtStart = state.loadSeq;
    button.disabled = true;
    try {
      await photosRequest(`/photos/${encodeURIComponent(photo.id)}`, { method: "DELETE" });
      say(message, "The photo is deleted.", "ok");
    } catch (error) {
      if (epoch !== state.epoch) {
        return;
      }
      if (!(error instanceof ApiError && error.code === "PhotoNotFound")) {
        button.disabled = false;
        showError(error, message, "photos");
        return;
      }
      say(message, SENTENCES.PhotoNotFound, "ok");
    }
    state.deletedIds.add(photo.id);
    // A list asked for while the deletion ran may still hold the photo: ask again, now that it is
    // gone, and let that newer answer win.
    if (state.loadsInFlight > 0 || state.loadSeq !== seqAtStart) {
      loadPhotos();
    }
    if (!item.isConnected) {
      return; // the list was drawn again meanwhile (without the photo)
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
    const epoch = state.epoch;
    busy(form, async () => {
      say(message, "Uploading…");
      try {
        await photosRequest("/photos", { method: "POST", body: data });
        if (epoch !== state.epoch) {
          return;
        }
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
  // Each opening has its own number: bytes that arrive for an earlier opening (or after closing)
  // are dropped, and a blob: URL is revoked as soon as it is replaced or the viewer closes.
  async function openViewer(photo) {
    const viewer = $("photo-viewer");
    closeViewer();
    const seq = ++state.viewerSeq;
    const current = () => seq === state.viewerSeq && viewer.open;
    $("photo-viewer").dataset.photoId = photo.id;
    $("viewer-title").textContent = photoName(photo);
    $("viewer-description").textContent = typeof photo.description === "string" ? photo.description : "";
    $("viewer-image").alt = typeof photo.description === "string" ? photo.description : "";
    say($("viewer-message"), "Loading the photo…");
    viewer.showModal();
    try {
      const blob = await (await photosRequest(imageUrl(photo), { method: "GET" }, current)).blob();
      if (!current()) {
        return;
      }
      setViewerImage(URL.createObjectURL(blob));
      say($("viewer-message"), "");
    } catch (error) {
      if (current()) {
        showError(error, $("viewer-message"), "photos");
      }
    }
  }

  function setViewerImage(url) {
    const previous = state.viewerUrl;
    state.viewerUrl = url;
    if (url) {
      $("viewer-image").src = url;
    } else {
      $("viewer-image").removeAttribute("src");
    }
    if (previous && previous !== url) {
      URL.revokeObjectURL(previous);
    }
  }

  function closeViewer() {
    const viewer = $("photo-viewer");
    state.viewerSeq += 1;
    if (viewer.open) {
      viewer.close();
    }
    setViewerImage(null);
  }

  $("viewer-close").addEventListener("click", closeViewer);
  // Closed by Escape too. The event comes a moment after close(): if the viewer was opened again
  // meanwhile, that opening is left alone.
  $("photo-viewer").addEventListener("close", () => {
    if ($("photo-viewer").open) {
      return;
    }
    state.viewerSeq += 1;
    setViewerImage(null);
    delete $("photo-viewer").dataset.photoId;
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

  // Set just before the hosted-UI path's /logout after deleting the account: said once, then gone.
  function takeDeletedFlag() {
    try {
      const flag = sessionStorage.getItem(DELETED_FLAG) === "1";
      sessionStorage.removeItem(DELETED_FLAG);
      return flag;
    } catch (_) {
      return false;
    }
  }

  async function start() {
    const deleted = takeDeletedFlag();
    try {
      await refreshTokens();
    } catch (error) {
      // 401 NoSession / SessionExpired: nobody is signed in here, which is no error.
      if (error instanceof ApiError && error.status === 401) {
        showSignedOut(deleted ? "Your account is deleted." : null, "ok");
      } else {
        showSignedOut(`We could not check whether you are signed in. ${sentenceFor(error, "refresh")}`);
      }
      return;
    }
    state.viaHostedUi = await hostedUiSession();
    await showSignedIn();
  }

  start();
})();
