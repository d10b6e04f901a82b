// Calling the server: a method of the JSON endpoint (POST / with {env: method, ...}), `refresh`
// for a new access token (noticing when the browser's session now belongs to another person), the
// photos API with the token as a Bearer header (an upload through XMLHttpRequest, whose upload
// reports its progress, which fetch cannot), and GET /me. A request made with an expired or
// revoked token is refreshed and tried once more; when the session is over, the page shows the
// signed-out state.

import {
  ApiError, NETWORK_SENTENCE, SESSION_ENDED_SENTENCE, SessionEnded, errorFrom, isAuthFailure,
} from "./errors.js";
import { keepTokens, state, tokenSub } from "./state.js";
import { accountChanged, showSignedOut } from "./session.js";

const RENEW_BEFORE_MS = 60 * 1000; // renew the access token this long before it expires

export async function readJson(response) {
  try {
    return await response.json();
  } catch (_) {
    return null;
  }
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
export async function call(method, fields) {
  const response = await send("/", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ env: method, ...(fields || {}) }),
  });
  return (await readJson(response)) || {};
}

// A new access token from the refresh cookie. Calls made at the same time share one refresh.
// The cookie is shared by every tab of this browser: when it now holds another person's session
// (signed in elsewhere), this page drops everything of the old person and shows the new one.
// An answer that arrives after a sign-out or sign-in here is ignored.
let refreshing = null;
export function refreshTokens() {
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
      showSignedOut(SESSION_ENDED_SENTENCE, "error", true);
      throw new SessionEnded();
    }
    throw error;
  }
  if (epoch !== state.epoch || !state.accessToken) {
    throw new SessionEnded();
  }
}

// Run `action(token)` with a current access token; when the token turns out to have expired or
// been revoked (one of `retryOn`), refresh once and try again; refused again, the session is over.
// `isCurrent` says whether the caller still wants the answer (a thumbnail of a list drawn since
// does not): when it does not, nothing is shown, not even the signed-out page.
export async function withToken(action, retryOn, isCurrent) {
  const epoch = state.epoch;
  const current = () => epoch === state.epoch && (!isCurrent || isCurrent());
  if (!state.accessToken) {
    if (current()) {
      showSignedOut(SESSION_ENDED_SENTENCE, "error", true);
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
        showSignedOut(SESSION_ENDED_SENTENCE, "error", true);
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
// or was revoked (never TokenExpired); changePass is handled by changePassword (account.js).
export function userCall(method, fields) {
  return withToken((token) => call(method, { ...fields, access_token: token }), ["NotAuthorized"]);
}

// A request to the photos API, with the access token as a Bearer header. It answers TokenExpired
// for an old token and InvalidToken for one whose session ended (signed out, account deleted).
export function photosRequest(url, init, isCurrent) {
  return withToken((token) => send(url, {
    ...(init || {}),
    headers: { ...((init && init.headers) || {}), Authorization: `Bearer ${token}` },
  }), ["TokenExpired", "InvalidToken"], isCurrent);
}

// The same for an upload, through XMLHttpRequest: `onProgress(sent, total)` as the body goes out.
// The answer is read as JSON; a refusal becomes an ApiError, as send() makes it.
function sendWithProgress(url, body, token, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        onProgress(event.loaded, event.total);
      }
    });
    request.addEventListener("load", () => {
      let parsed = null;
      try {
        parsed = JSON.parse(request.responseText);
      } catch (_) {
        parsed = null;
      }
      if (request.status >= 200 && request.status < 300) {
        resolve(parsed || {});
      } else {
        reject(errorFrom(request.status, parsed));
      }
    });
    const failed = () => reject(new ApiError("NetworkError", NETWORK_SENTENCE, null, 0));
    request.addEventListener("error", failed);
    request.addEventListener("abort", failed);
    request.addEventListener("timeout", failed);
    request.send(body);
  });
}

// Upload a photo (`POST /photos`, multipart `data`), with the token and its refusals handled as
// photosRequest handles them; `onProgress(sent, total)` follows the upload, a retry included.
export function uploadPhoto(data, onProgress) {
  return withToken((token) => sendWithProgress("/photos", data, token, onProgress),
    ["TokenExpired", "InvalidToken"]);
}

// GET /me: whether a hosted-UI session is on, whether the browser holds a refresh cookie (only
// then can `refresh` answer tokens), and the pool's password rules. null when it cannot be read.
export async function pageInfo() {
  try {
    const response = await fetch("/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? await readJson(response) : null;
  } catch (_) {
    return null;
  }
}

// Whether this browser's session came from the hosted UI (then signing out also ends it there).
export async function hostedUiSession() {
  const info = await pageInfo();
  return Boolean(info && info.signed_in);
}
