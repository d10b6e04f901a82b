// A remembered device with amazon-cognito-identity-js (AWS's own JavaScript client) under node: the
// library's own ConfirmDevice after an MFA sign-in (the device's secret and verifier are its maths),
// setDeviceStatusRemembered, then a second sign-in that the library answers with DEVICE_SRP_AUTH and
// DEVICE_PASSWORD_VERIFIER (its maths again) instead of the code.
//
//   COGNITO_ENDPOINT, COGNITO_USER_POOL_ID, COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET,
//   DEVICE_EMAIL, DEVICE_PASSWORD, DEVICE_MFA_CODE (the text message's code: the pool's pinned one).
//
// The library's requests get SECRET_HASH, and nothing else (identity_js_pool.mjs). It prints one line
// of JSON: the sub of each sign-in's tokens, whether ConfirmDevice said UserConfirmationNecessary,
// and the calls made.

import { AuthenticationDetails, CognitoUser, pool, sent, setting } from "./identity_js_pool.mjs";

const email = setting("DEVICE_EMAIL");
const password = setting("DEVICE_PASSWORD");
const code = setting("DEVICE_MFA_CODE");

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
