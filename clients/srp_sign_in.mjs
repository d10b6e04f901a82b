// SRP sign-in with amazon-cognito-identity-js (AWS's own JavaScript client) under node: its
// authenticateUser with the default flow, USER_SRP_AUTH then PASSWORD_VERIFIER, all of the SRP maths
// (SRP_A, the claim, the TIMESTAMP) being the library's.
//
//   COGNITO_ENDPOINT (the user pool's endpoint, e.g. the local Cognito's), COGNITO_USER_POOL_ID,
//   COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET, SRP_EMAIL, SRP_PASSWORD.
//
// The library does not support app clients with a secret, so its requests get SECRET_HASH (computed
// with node's crypto on the USERNAME each request sends) and nothing else (identity_js_pool.mjs).
// It signs in with the password, then with a wrong one, and prints one line of JSON: the sub of the
// tokens it got, and the error of the refusal.

import { AuthenticationDetails, CognitoUser, pool, sent, setting } from "./identity_js_pool.mjs";

const email = setting("SRP_EMAIL");
const password = setting("SRP_PASSWORD");

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
