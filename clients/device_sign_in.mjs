// A remembered device with amazon-cognito-identity-js (AWS's own JavaScript client) under node: the
// library's own ConfirmDevice after an MFA sign-in (the device's secret and verifier are its maths),
// setDeviceStatusRemembered, then a second sign-in that the library answers with DEVICE_SRP_AUTH and
// DEVICE_PASSWORD_VERIFIER (its maths again) instead of the code.
//
//   COGNITO_ENDPOINT, COGNITO_USER_POOL_ID, COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET,
//   DEVICE_EMAIL, DEVICE_PASSWORD, DEVICE_MFA_CODE (the text message's code: the pool's pinned one).
//
// As clients/srp_sign_in.mjs, this script adds SECRET_HASH (node's crypto, on the USERNAME each
// request sends) to the library's requests, and nothing else. It prints one line of JSON: the sub of
// each sign-in's tokens, whether ConfirmDevice said UserConfirmationNecessary, and the calls made.

import crypto from "node:crypto";

import pkg from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;

function setting(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const endpoint = setting("COGNITO_ENDPOINT");
const poolId = setting("COGNITO_USER_POOL_ID");
const clientId = setting("COGNITO_USER_CLIENT_ID");
const clientSecret = setting("COGNITO_CLIENT_SECRET");
const email = setting("DEVICE_EMAIL");
const password = setting("DEVICE_PASSWORD");
const code = setting("DEVICE_MFA_CODE");

function secretHash(username) {
  return crypto.createHmac("sha256", clientSecret).update(username + clientId).digest("base64");
}

const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (url, options) => {
  const body = JSON.parse(options.body);
  for (const parameters of [body.AuthParameters, body.ChallengeResponses]) {
    if (parameters && parameters.USERNAME) parameters.SECRET_HASH = secretHash(parameters.USERNAME);
  }
  sent.push(options.headers["X-Amz-Target"].split(".").pop() + (body.AuthFlow ? ` ${body.AuthFlow}` : "")
    + (body.ChallengeName ? ` ${body.ChallengeName}` : ""));
  return realFetch(url, { ...options, body: JSON.stringify(body) });
};

// One pool object: its storage (the library's memory storage under node) keeps the device's key,
// group key and secret between the two sign-ins, as a browser's localStorage would.
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

function signIn() {
  const user = new CognitoUser({ Username: email, Pool: pool });
  const details = new AuthenticationDetails({ Username: email, Password: password });
  return new Promise((resolve) => {
    const callbacks = {
      onSuccess: (session, confirmationNecessary) => resolve({
        user, sub: session.getAccessToken().decodePayload().sub, confirmationNecessary: !!confirmationNecessary,
      }),
      onFailure: (error) => resolve({ error: error.code || error.name, message: error.message }),
      mfaRequired: () => user.sendMFACode(code, callbacks, "SMS_MFA"),
      totpRequired: () => resolve({ challenge: "SOFTWARE_TOKEN_MFA" }),
    };
    user.authenticateUser(details, callbacks);
  });
}

const first = await signIn();
let remembered = null;
if (first.user) {
  remembered = await new Promise((resolve) => first.user.setDeviceStatusRemembered({
    onSuccess: (answer) => resolve(answer), onFailure: (error) => resolve(error.code || error.name),
  }));
}
const second = await signIn();
const summary = (result) => ({ sub: result.sub, error: result.error, challenge: result.challenge,
  confirmationNecessary: result.confirmationNecessary });
console.log(JSON.stringify({ first: summary(first), remembered, second: summary(second), sent }));
