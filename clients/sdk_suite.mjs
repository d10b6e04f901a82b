// The AWS SDK for JavaScript v3 against a Cognito user pool whose app client has a secret: sign-up,
// confirmation, sign-in, both ways to refresh, authenticator-app (TOTP) MFA, and revocation, each
// result and each refusal checked as the SDK reports it.
//
// Written for the local Cognito (`python -m local_cognito --code 123456`) but nothing in it is
// particular to it: the SDK finds the endpoint and region in its own variables, the pool in the
// ones the local Cognito prints (`--print-env`):
//
//   AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_REGION,
//   COGNITO_USER_POOL_ID, COGNITO_USER_CLIENT_ID, COGNITO_CLIENT_SECRET, COGNITO_ISSUER,
//   CONFIRMATION_CODE (the code the pool emails: LOCAL_COGNITO_CODE), SDK_SUITE_EMAIL (optional).
//
// It computes SECRET_HASH and the TOTP codes itself (node's crypto), checks the tokens' signatures
// against the pool's JWKS, prints one "ok <step>" line per step, a "refused <operation> <error>"
// line for each refusal it asked for, and a last line "result <JSON>" (the user it made, and its
// sub); it exits 1 at the first step that fails.

import assert from "node:assert/strict";
import crypto from "node:crypto";

import {
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  EnableSoftwareTokenMFAException,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  InitiateAuthCommand,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  UserNotConfirmedException,
  UsernameExistsException,
  VerifySoftwareTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";

function setting(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const endpoint = setting("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER");
setting("AWS_REGION");
const poolId = setting("COGNITO_USER_POOL_ID");
const clientId = setting("COGNITO_USER_CLIENT_ID");
const clientSecret = setting("COGNITO_CLIENT_SECRET");
const issuer = setting("COGNITO_ISSUER");
const code = setting("CONFIRMATION_CODE");
const email = process.env.SDK_SUITE_EMAIL || `sdk-${crypto.randomUUID().slice(0, 12)}@example.com`;
const password = "I_love_apples";

// No endpoint, region or credentials given here: the SDK reads its own variables, and the calls
// made are all ones Cognito takes unsigned.
const cognito = new CognitoIdentityProviderClient({ maxAttempts: 1 });

// SECRET_HASH: Base64(HMAC-SHA256(key = client secret, message = user name + client id)).
function secretHash(username) {
  return crypto.createHmac("sha256", clientSecret).update(username + clientId).digest("base64");
}

// RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits) from a base32 secret (RFC 4648).
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const character of text.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(character);
    assert.notEqual(index, -1, `not base32: ${character}`);
    bits += index.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = crypto.createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const number = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, "0");
}

const currentStep = () => Math.floor(Date.now() / 1000 / 30);

// A JWT's payload, once its RS256 signature checks out against the pool's JWKS.
function verifiedClaims(token, keys) {
  const [header, payload, signature] = token.split(".");
  const { kid, alg } = JSON.parse(Buffer.from(header, "base64url"));
  assert.equal(alg, "RS256");
  const jwk = keys.find((key) => key.kid === kid);
  assert.ok(jwk, `no key ${kid} in the JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
  const valid = crypto.verify("sha256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"));
  assert.ok(valid, "the token's signature does not verify");
  return JSON.parse(Buffer.from(payload, "base64url"));
}

// The call must fail with `expected` (the SDK's exception class): its name and HTTP status.
async function refused(command, expected, status = 400) {
  try {
    await cognito.send(command);
  } catch (error) {
    assert.ok(error instanceof expected, `expected ${expected.name}, got ${error.name}: ${error.message}`);
    assert.equal(error.name, expected.name);
    assert.equal(error.$metadata.httpStatusCode, status);
    console.log(`refused ${command.constructor.name.replace(/Command$/, "")} ${error.name}`);
    return error;
  }
  assert.fail(`${command.constructor.name} succeeded; expected ${expected.name}`);
}

async function getJson(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.json();
}

const steps = [];
async function step(name, body) {
  try {
    await body();
  } catch (error) {
    console.log(`FAIL ${name}: ${error.stack || error}`);
    process.exit(1);
  }
  steps.push(name);
  console.log(`ok ${name}`);
}

const signIn = (secret = secretHash(email)) => new InitiateAuthCommand({
  AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId,
  AuthParameters: { USERNAME: email, PASSWORD: password, SECRET_HASH: secret },
});

let keys, sub, first, mfaSecret, verifiedStep, mfaTokens;

await step("discovery", async () => {
  const discovery = await getJson(`${endpoint}/${poolId}/.well-known/openid-configuration`);
  assert.equal(discovery.issuer, issuer);
  assert.equal(discovery.jwks_uri, `${issuer}/.well-known/jwks.json`);
  for (const [field, path] of [["authorization_endpoint", "/oauth2/authorize"],
                               ["token_endpoint", "/oauth2/token"], ["userinfo_endpoint", "/oauth2/userInfo"]]) {
    assert.equal(discovery[field], `${endpoint}${path}`);
  }
  keys = (await getJson(discovery.jwks_uri)).keys;
  assert.ok(keys.length >= 1 && keys.every((key) => key.kty === "RSA" && key.kid));
});

await step("sign-up", async () => {
  const answer = await cognito.send(new SignUpCommand({
    ClientId: clientId, SecretHash: secretHash(email), Username: email, Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  }));
  assert.equal(answer.UserConfirmed, false);
  assert.match(answer.UserSub, /^[0-9a-f-]{36}$/);
  assert.equal(answer.CodeDeliveryDetails.DeliveryMedium, "EMAIL");
  assert.equal(answer.CodeDeliveryDetails.AttributeName, "email");
  sub = answer.UserSub;
});

await step("sign-up refusals", async () => {
  await refused(new SignUpCommand({ ClientId: clientId, SecretHash: secretHash(email), Username: email,
                                    Password: password }), UsernameExistsException);
  const other = `other-${email}`;
  await refused(new SignUpCommand({ ClientId: clientId, SecretHash: secretHash(email), Username: other,
                                    Password: password }), NotAuthorizedException);
  await refused(signIn(), UserNotConfirmedException);
});

await step("confirm", async () => {
  const wrong = code === "000000" ? "111111" : "000000";
  await refused(new ConfirmSignUpCommand({ ClientId: clientId, SecretHash: secretHash(email), Username: email,
                                           ConfirmationCode: wrong }), CodeMismatchException);
  await cognito.send(new ConfirmSignUpCommand({ ClientId: clientId, SecretHash: secretHash(email),
                                                Username: email, ConfirmationCode: code }));
});

await step("sign-in", async () => {
  await refused(new InitiateAuthCommand({
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId,
    AuthParameters: { USERNAME: email, PASSWORD: "not the password", SECRET_HASH: secretHash(email) },
  }), NotAuthorizedException);
  await refused(signIn(secretHash("someone else")), NotAuthorizedException);
  const answer = await cognito.send(signIn());
  first = answer.AuthenticationResult;
  assert.equal(first.TokenType, "Bearer");
  assert.equal(first.ExpiresIn, 3600);
  const id = verifiedClaims(first.IdToken, keys);
  assert.equal(id.iss, issuer);
  assert.equal(id.aud, clientId);
  assert.equal(id.token_use, "id");
  assert.equal(id.sub, sub);
  assert.equal(id.email, email);
  assert.equal(id.email_verified, true);
  const access = verifiedClaims(first.AccessToken, keys);
  assert.equal(access.iss, issuer);
  assert.equal(access.client_id, clientId);
  assert.equal(access.token_use, "access");
  assert.equal(access.sub, sub);
  assert.ok(access.exp > Date.now() / 1000);
  const user = await cognito.send(new GetUserCommand({ AccessToken: first.AccessToken }));
  assert.equal(user.UserAttributes.find((a) => a.Name === "email").Value, email);
});

await step("refresh: REFRESH_TOKEN_AUTH", async () => {
  // The SECRET_HASH of a refresh is computed on the user name Cognito assigned, not the email typed.
  const assigned = verifiedClaims(first.IdToken, keys)["cognito:username"];
  const refresh = (username) => new InitiateAuthCommand({
    AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: first.RefreshToken, SECRET_HASH: secretHash(username) },
  });
  const answer = await cognito.send(refresh(assigned));
  assert.equal(answer.AuthenticationResult.RefreshToken, undefined);
  assert.equal(verifiedClaims(answer.AuthenticationResult.AccessToken, keys).sub, sub);
  await refused(new InitiateAuthCommand({
    AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: `${first.RefreshToken}x`, SECRET_HASH: secretHash(assigned) },
  }), NotAuthorizedException);
});

await step("refresh: GetTokensFromRefreshToken", async () => {
  const answer = await cognito.send(new GetTokensFromRefreshTokenCommand({
    ClientId: clientId, ClientSecret: clientSecret, RefreshToken: first.RefreshToken,
  }));
  const claims = verifiedClaims(answer.AuthenticationResult.IdToken, keys);
  assert.equal(claims.sub, sub);
  assert.equal(claims.token_use, "id");
  assert.ok(answer.AuthenticationResult.AccessToken);
  await refused(new GetTokensFromRefreshTokenCommand({
    ClientId: clientId, ClientSecret: `${clientSecret}x`, RefreshToken: first.RefreshToken,
  }), NotAuthorizedException);
});

await step("TOTP: associate and verify", async () => {
  const associated = await cognito.send(new AssociateSoftwareTokenCommand({ AccessToken: first.AccessToken }));
  mfaSecret = associated.SecretCode;
  assert.match(mfaSecret, /^[A-Z2-7]{32}$/);
  const now = currentStep();
  const accepted = new Set([now - 1, now, now + 1].map((s) => totp(mfaSecret, s)));
  const wrong = ["000000", "111111", "222222", "333333"].find((c) => !accepted.has(c));
  await refused(new VerifySoftwareTokenCommand({ AccessToken: first.AccessToken, UserCode: wrong }),
                EnableSoftwareTokenMFAException);
  verifiedStep = currentStep();
  const verified = await cognito.send(new VerifySoftwareTokenCommand({
    AccessToken: first.AccessToken, UserCode: totp(mfaSecret, verifiedStep), FriendlyDeviceName: "sdk suite",
  }));
  assert.equal(verified.Status, "SUCCESS");
  await cognito.send(new SetUserMFAPreferenceCommand({
    AccessToken: first.AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  }));
  const user = await cognito.send(new GetUserCommand({ AccessToken: first.AccessToken }));
  assert.deepEqual(user.UserMFASettingList, ["SOFTWARE_TOKEN_MFA"]);
  assert.equal(user.PreferredMfaSetting, "SOFTWARE_TOKEN_MFA");
});

await step("TOTP: sign-in answers SOFTWARE_TOKEN_MFA", async () => {
  const challenge = await cognito.send(signIn());
  assert.equal(challenge.AuthenticationResult, undefined);
  assert.equal(challenge.ChallengeName, "SOFTWARE_TOKEN_MFA");
  assert.ok(challenge.Session);
  const username = challenge.ChallengeParameters.USER_ID_FOR_SRP;
  assert.ok(username);
  const answer = (mfaCode) => new RespondToAuthChallengeCommand({
    ClientId: clientId, ChallengeName: "SOFTWARE_TOKEN_MFA", Session: challenge.Session,
    ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: mfaCode, SECRET_HASH: secretHash(username) },
  });
  // The code VerifySoftwareToken took is spent: no TOTP code works twice.
  await refused(answer(totp(mfaSecret, verifiedStep)), CodeMismatchException);
  const signedIn = await cognito.send(answer(totp(mfaSecret, verifiedStep + 1)));
  mfaTokens = signedIn.AuthenticationResult;
  assert.equal(verifiedClaims(mfaTokens.AccessToken, keys).sub, sub);
  assert.ok(mfaTokens.RefreshToken);
});

await step("revoke", async () => {
  await cognito.send(new RevokeTokenCommand({ ClientId: clientId, ClientSecret: clientSecret,
                                               Token: mfaTokens.RefreshToken }));
  await refused(new GetTokensFromRefreshTokenCommand({
    ClientId: clientId, ClientSecret: clientSecret, RefreshToken: mfaTokens.RefreshToken,
  }), NotAuthorizedException);
  const assigned = verifiedClaims(mfaTokens.IdToken, keys)["cognito:username"];
  await refused(new InitiateAuthCommand({
    AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: mfaTokens.RefreshToken, SECRET_HASH: secretHash(assigned) },
  }), NotAuthorizedException);
  // The access tokens issued with it go too; the first sign-in's refresh token still works.
  await refused(new GetUserCommand({ AccessToken: mfaTokens.AccessToken }), NotAuthorizedException);
  const still = await cognito.send(new GetTokensFromRefreshTokenCommand({
    ClientId: clientId, ClientSecret: clientSecret, RefreshToken: first.RefreshToken,
  }));
  assert.equal(verifiedClaims(still.AuthenticationResult.AccessToken, keys).sub, sub);
});

console.log(`result ${JSON.stringify({ email, sub, steps })}`);
