// What goes wrong when the page talks to the server, and what people read about it: ApiError (the
// server's error code, sentence and field), SessionEnded (the page already shows the signed-out
// state), and the sentence for each error code, some depending on what the person was doing.

export const NETWORK_SENTENCE = "We could not reach the server. Check your connection and try again.";
export const SESSION_ENDED_SENTENCE = "Your session has ended. Please sign in again.";
const TOO_MANY_CODES_SENTENCE = "Too many wrong codes. Ask for a new code.";
// The server answers every refused confirmation or reset code alike, so that it does not tell who
// has an account: wrong, expired, or locked after too many tries.
const CODE_REFUSED_SENTENCE = "That code is wrong or has expired. Check it, or ask for a new code.";

// Friendlier sentences for some error codes; the server's own sentence is shown otherwise.
// Some read differently depending on what the person was doing.
export const SENTENCES = {
  NotAuthorized: "The email or password is wrong.",
  UserNotConfirmed: "This account is not confirmed yet. Enter the code we emailed you.",
  PasswordResetRequired: "This account needs a new password. Use “Forgot your password?” to get a reset code.",
  UsernameExists: "An account with this email already exists. Sign in instead.",
  CodeMismatch: "That code is wrong. Check it and try again.",
  ExpiredCode: "That code has expired. Ask for a new one.",
  ChallengeExpired: "This sign-in step has expired. Please sign in again.",
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
    NotAuthorized: "This account is confirmed already, or the password is wrong. Try signing in.",
    CodeMismatch: `${CODE_REFUSED_SENTENCE} If your account is confirmed already, sign in.`,
    LimitExceeded: TOO_MANY_CODES_SENTENCE,
  },
  forgotPassword: { NotAuthorized: "The password of this account cannot be reset." },
  confirmForgotPassword: {
    NotAuthorized: "The password of this account cannot be reset.",
    CodeMismatch: CODE_REFUSED_SENTENCE,
    LimitExceeded: TOO_MANY_CODES_SENTENCE,
  },
  updateUser: { AliasExists: "Another account already uses this email." },
  verifyAttribute: { LimitExceeded: TOO_MANY_CODES_SENTENCE },
  // An authenticator code cannot be sent again: a new sign-in asks for the app's next code.
  respondToChallenge: { LimitExceeded: "Too many wrong codes. Sign in again and type the newest code from your app." },
};
// When the answer is not our JSON (a proxy's page, say), a sentence from the status.
const STATUS_SENTENCES = {
  413: "That is too large to send.",
  429: "Too many attempts. Wait a moment and try again.",
};

export class ApiError extends Error {
  constructor(code, message, field, status) {
    super(message);
    this.code = code;
    this.field = field || null;
    this.status = status;
  }
}

// Thrown once the person has been shown as signed out: nothing more to say about it.
export class SessionEnded extends Error {}

export function errorFrom(status, body) {
  if (body && typeof body.error === "string") {
    const message = typeof body.message === "string" && body.message ? body.message : null;
    return new ApiError(body.error, message || STATUS_SENTENCES[status] || "Something went wrong. Please try again.",
      typeof body.field === "string" ? body.field : null, status);
  }
  return new ApiError("HttpError", STATUS_SENTENCES[status] || "Something went wrong. Please try again.", null, status);
}

export function isAuthFailure(error, codes) {
  return error instanceof ApiError && error.status === 401 && codes.includes(error.code);
}

export function sentenceFor(error, action) {
  if (!(error instanceof ApiError)) {
    return "Something went wrong on this page. Please reload it and try again.";
  }
  const byAction = SENTENCES_BY_ACTION[action] || {};
  return byAction[error.code] || SENTENCES[error.code] || error.message;
}
