"""amazon-cognito-identity-js, AWS's own JavaScript client, signs in to the local Cognito with SRP under
node (clients/srp_sign_in.mjs): authenticateUser's default flow, USER_SRP_AUTH then PASSWORD_VERIFIER,
with the library's maths throughout; and a wrong password is refused as Cognito refuses it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import jwt

from tests.support import PASSWORD, ROOT
from tests.support.local_pool import password_auth, signed_up

SCRIPT = os.path.join(ROOT, "clients", "srp_sign_in.mjs")


def test_amazon_cognito_identity_js_signs_in_with_srp(idp, pool, local, email):
    signed_up(idp, email)
    sub = jwt.decode(
        password_auth(idp, email)["AuthenticationResult"]["AccessToken"], options={"verify_signature": False}
    )["sub"]
    env = dict(
        os.environ,
        COGNITO_ENDPOINT=local.endpoint_url,
        COGNITO_USER_POOL_ID=pool.pool_id,
        COGNITO_USER_CLIENT_ID=pool.client_id,
        COGNITO_CLIENT_SECRET=pool.client_secret,
        SRP_EMAIL=email,
        SRP_PASSWORD=PASSWORD,
    )
    run = subprocess.run(
        [shutil.which("node") or "node", SCRIPT],
        cwd=os.path.dirname(SCRIPT),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["right"] == {"sub": sub}
    assert result["wrong"] == {"error": "NotAuthorizedException", "message": "Incorrect username or password."}
    # The pool tracks devices, so the library confirms the new device it is told of after the first.
    assert result["sent"] == [
        "InitiateAuth USER_SRP_AUTH",
        "RespondToAuthChallenge PASSWORD_VERIFIER",
        "ConfirmDevice",
        "InitiateAuth USER_SRP_AUTH",
        "RespondToAuthChallenge PASSWORD_VERIFIER",
    ]
