// What the amazon-cognito-identity-js scripts (srp_sign_in.mjs, device_sign_in.mjs) share: their
// settings from the environment, the user pool object, and the library's requests given SECRET_HASH.
//
//   COGNITO_ENDPOINT (the user pool's endpoint, e.g. the local Cognito's), COGNITO_USER_POOL_ID,
//   COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET.
//
// The library does not support app clients with a secret, so SECRET_HASH (computed with node's
// crypto on the USERNAME each request sends) is added to the requests it makes, and nothing else.
// Each request's operation (with its flow or challenge) is noted in `sent`.

import crypto from "node:crypto";

import pkg from "amazon-cognito-identity-js";

export const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;

export function setting(name) {
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

// SECRET_HASH: Base64(HMAC-SHA256(key = client secret, message = user name + client id)).
function secretHash(username) {
  return crypto.createHmac("sha256", clientSecret).update(username + clientId).digest("base64");
}

export const sent = [];
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

// One pool object: its storage (the library's memory storage under node) keeps what the library
// remembers between sign-ins (a device's key, group key and secret), as a browser's localStorage would.
export const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
