// What the page remembers, in memory only: the access token, when it expires and whose it is, the
// steps in progress (sign-up waiting for its code, the authenticator step, a password reset), and
// the counters that let late answers be ignored (the epoch of the person shown, the newest photo
// list, the viewer's opening).
//
// No token is kept in localStorage, sessionStorage or readable cookies: a reload gets a new one from
// `refresh`, which uses the server's HttpOnly refresh cookie.

export const state = {
  accessToken: null,
  expiresAt: 0,
  viaHostedUi: false, // signed in through the hosted UI: signing out also ends its session
  email: null,
  mfaOn: null, // whether authenticator codes are on, as getUser said (null: not known yet)
  pending: null, // {email, password} between sign-up (or an unconfirmed log-in) and confirmation
  challenge: null, // {session, email, challenge}: the signIn answer's step while its code (or choice) is asked
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

// The `sub` claim of an access token (a JWT: its middle part is base64url JSON). Not verified:
// the server does that; here it only tells whose token this is.
export function tokenSub(token) {
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

export function keepTokens(answer) {
  state.accessToken = answer.access_token;
  state.sub = tokenSub(answer.access_token);
  const seconds = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : 3600;
  state.expiresAt = Date.now() + seconds * 1000;
}
