"""Our server in real-pool mode against moto's own Cognito server (``moto_server``), which this
project did not write: a misunderstanding shared by our client side and our local Cognito passes
every other test, and would fail here.

``moto_server`` runs as a process of its own (tests/support/moto_server.py says why), with its TOTP
checks turned on (``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP``). Our server runs as
``tornado_server.py`` with every setting in its environment, as an operator runs it; the admin calls
get STS session credentials from moto's STS (``STS_USER_CLIENT_ID``, ``AWS_ENDPOINT_URL_STS``). The
pools are made with boto3 the way the real-pool checklist in docs/production.md says. One moto
server, its pools and our servers serve the whole package (conftest.py), so it runs in seconds;
every test makes accounts of its own.

Where moto differs from Cognito's documented behaviour, a test named ``test_moto_gap_...`` asserts
what moto does (so it fails the day moto changes) and what our server answers then: a JSON error
with a stable code, never a 500. The gaps are listed in docs/local-cognito.md ("Running against
moto's server").
"""
