// SRP sign-in with amazon-cognito-identity-js (AWS's own JavaScript client) under node: its
// authenticateUser with the default flow, USER_SRP_AUTH then PASSWORD_VERIFIER, all of the SRP maths
// (SRP_A, the claim, the TIMESTAMP) being the library's.
//
//   COGNITO_ENDPOINT (the user pool's endpoint, e.g. the local Cognito's), COGNITO_USER_POOL_ID,
//   COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET, SRP_EMAIL, SRP_PASSWORD.
//
// The library does not support app clients with a secret, so this script adds SECRET_HASH (computed
// with node's crypto on the USERNAME each request sends) to the requests it makes, and nothing else.
// It signs in with the password, then with a wrong one, and prints one line of JSON: the sub of the
// tokens it got, and the error of the refusal.

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
const email = setting("SRP_EMAIL");
const password = setting("SRP_PASSWORD");

// SECRET_HASH: Base64(HMAC-SHA256(key = client secret, message = user name + client id)).
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

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

function signIn(withPassword) {
  const user = new CognitoUser({ Username: email, Pool: pool });
  const details = new AuthenticationDetails({ Username: email, Password: withPassword });
  return new Promise((resolve) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ sub: session.getAccessToken().decodePayload().sub }),
      onFailure: (error) => resolve({ error: error.code || error.name, message: error.message }),
      totpRequired: () => resolve({ challenge: "SOFTWARE_TOKEN_MFA" }),
      mfaRequired: () => resolve({ challenge: "SMS_MFA" }),
      newPasswordRequired: () => resolve({ challenge: "NEW_PASSWORD_REQUIRED" }),
    });
  });
}

const right = await signIn(password);
const wrong = await signIn(`not-${password}`);
console.log(JSON.stringify({ right, wrong, sent }));
