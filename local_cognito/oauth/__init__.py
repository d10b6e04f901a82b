"""The local Cognito as an OAuth 2.0 / OpenID Connect provider: everything its hosted UI does but draw pages.

It follows Amazon Cognito's documentation of the user pool endpoints:

- The app client's OAuth settings (callback and sign-out URLs, flows, scopes, identity providers)
  are kept in moto's client record; ``configure_hosted_ui`` sets them at every start, from the
  configuration, so they are not part of the saved state.
- ``authorize_request`` checks an authorize request (also the sign-in page's, and a logout that goes
  back to the sign-in page). An unknown ``client_id``, or a ``redirect_uri`` that is not one of the
  client's callback URLs, is an ``ErrorPage``: redirecting there would be an open redirect. Any
  other fault goes back to the redirect_uri as ``error`` and ``error_description``, with the
  ``state`` (``RedirectError``).
- Authorization codes are random, work once, last five minutes, and are bound to the client, the
  redirect_uri, the scopes, the nonce, the PKCE challenge (S256, the only method Cognito supports),
  the user and when they signed in. A code is spent by its first redemption, right or wrong; one
  presented again is refused, and the tokens its first use issued are revoked (RFC 6749 section
  4.1.2 asks for both).
- The token endpoint authenticates the client (HTTP Basic, each half form-urlencoded first, or
  ``client_secret`` in the body) and answers the authorization_code and refresh_token grants with
  tokens made by the pool's own ``complete_sign_in`` and ``refresh_tokens.py`` (which rotates the
  refresh token when the app client does): the refresh token also works with
  GetTokensFromRefreshToken, REFRESH_TOKEN_AUTH, RevokeToken and GlobalSignOut, the access token
  with GetUser. Every error is HTTP 400 with ``error`` and ``error_description``, as Cognito documents it.
- userInfo answers the user's attributes within the access token's scopes; the token must carry
  ``openid`` (the API's tokens do not) and is checked as GetUser checks it.
- The hosted UI's sign-in steps reuse the pool's checks: the password as InitiateAuth checks it, the
  new-password and TOTP challenges as RespondToAuthChallenge answers them, and sign-up as SignUp and
  ConfirmSignUp do.
- A hosted-UI session (what lets a browser skip the form, as Cognito's own ``cognito`` cookie does)
  lasts an hour from its last use, and is kept by the SHA-256 of its random id, like codes. As at
  Cognito, the logout endpoint ends it and GlobalSignOut does not; a disabled user's cannot be
  used. Codes and sessions are in memory only.

The modules: ``operations`` (``OAuthOperations``: the client's settings, authorize and logout
requests, codes and hosted-UI sessions, the token endpoint, userInfo), ``hosted_sign_in``
(``HostedSignIn``: the sign-in, sign-up and confirmation steps of the hosted UI's pages),
``records`` (what the operations keep and answer), ``errors`` (the faults they raise) and
``parameters`` (reading OAuth request parameters; PKCE's S256). ``hosted_ui.py``, one level up,
serves them over HTTP.
"""
