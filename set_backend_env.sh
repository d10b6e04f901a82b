#!/usr/bin/env bash
# Sets the backend's environment and starts the server. Fill in the values for your user pool;
# leave the COGNITO_* ones empty to run on the embedded local Cognito instead.
# Usage: ./set_backend_env.sh [--port 3006]

# Only what is filled in here is exported; an empty one leaves the environment as it is.
setting() {
    if [ -n "$2" ]; then
        export "$1=$2"
    fi
}

# The user pool and its app client (Cognito console: User pools > your pool > App clients).
setting COGNITO_REGION_NAME ""            # e.g. us-east-1
setting COGNITO_USER_POOL_ID ""           # e.g. us-east-1_AbC123xYz
setting COGNITO_USER_CLIENT_ID ""         # the app client id
setting COGNITO_CLIENT_SECRET ""          # the app client secret (stays on this server)
setting COGNITO_ENDPOINT_URL ""           # only for LocalStack or moto's server, e.g. http://localhost:4566
setting SIGN_IN_FLOW ""                   # default auto: password, srp (USER_SRP_AUTH) or auto (password, else SRP)

# Signs the refresh cookie. Several secrets, separated by spaces: the first signs, all verify.
# Make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"
setting COOKIE_SECRET ""

setting PORT "3006"
setting ALLOWED_ORIGINS ""                # pages allowed to call with credentials, e.g. http://localhost:5173
setting REFRESH_COOKIE_DAYS "30"
setting TOKEN_CLOCK_SKEW_SECONDS ""       # default 60: how far Cognito's clock may be from this server's

# Hosted-UI sign-in (/login, /callback, /logout): the hosted UI's host name, and where browsers
# reach this server (no trailing slash). Not needed in local mode.
setting COGNITO_DOMAIN ""                 # e.g. my-app.auth.us-east-1.amazoncognito.com
setting BASE_URL ""                       # e.g. https://app.example.com
setting LOCAL_COGNITO_PORT ""             # local mode: the local Cognito's port (default PORT + 1)

# Admin methods: members of this Cognito group may call them.
setting ADMIN_GROUP "admin"
# Keys of an IAM user allowed the cognito-idp admin actions; exchanged for STS session credentials.
# Leave empty to use the standard AWS credential chain (AWS_PROFILE, an instance or task role, ...).
# Never put root-account keys anywhere here: the server refuses ROOT_USER_* at start-up.
setting STS_USER_CLIENT_ID ""
setting STS_USER_CLIENT_SECRET ""
# The app's name, shown by authenticator apps next to the account (empty: the page's name).
setting APP_NAME ""
# Local mode only: a confirmed user in the admin group, made at start-up.
setting LOCAL_ADMIN_EMAIL ""
setting LOCAL_ADMIN_PASSWORD ""

# Photos: records (SQLite) and bytes under PHOTOS_DATA; with PHOTOS_BUCKET the bytes go to S3, with
# the same AWS credentials as the admin calls (s3:PutObject, s3:GetObject, s3:DeleteObject on it);
# with PHOTOS_DATABASE_URL the records go to PostgreSQL (install requirements-postgres.txt too).
# Several machines need both.
setting PHOTOS_DATA ""                    # default .photos
setting PHOTOS_BUCKET ""
setting AWS_ENDPOINT_URL_S3 ""            # only for LocalStack or moto's server
setting PHOTOS_DATABASE_URL ""            # e.g. postgresql://photos:PASSWORD@HOST:5432/photos?sslmode=verify-full&sslrootcert=/etc/ssl/rds/global-bundle.pem
setting PHOTOS_DATABASE_CONNECTIONS ""    # default 10 per process

# Production: processes on the one port, the log format, the load balancer's addresses (whose
# X-Forwarded-For is believed), rate limits (CALLS/SECONDS or off) and a Redis that shares them,
# and the least time the answers that must not tell who has an account take.
setting WORKERS ""                  # default 1
setting DRAIN_SECONDS ""            # default 10: on SIGTERM, the time requests in flight get to finish
setting LOG_FORMAT ""               # text (default) or json
setting TRUSTED_PROXIES ""          # e.g. 127.0.0.1 behind nginx on this machine
setting RATE_LIMIT_PER_ADDRESS ""   # default 30/60
setting RATE_LIMIT_PER_USER ""      # default 10/60
setting REDIS_URL ""                # e.g. redis://localhost:6379/0
setting UNIFORM_ANSWER_SECONDS ""   # default 1 (0.25 in local mode); above your pool's slowest answer

# Metrics and traces: GET /metrics (on, off, or on a port and address of their own, for a server
# whose port is public), and where traces go over OTLP/HTTP (none when empty).
setting METRICS ""                  # on (default) or off
setting METRICS_PORT ""             # e.g. 9100: /metrics there only, not on PORT
setting METRICS_HOST ""             # with METRICS_PORT, e.g. 127.0.0.1 (default: the server's address)
setting OTEL_EXPORTER_OTLP_ENDPOINT ""   # e.g. http://localhost:4318 (an OpenTelemetry collector; install requirements-traces.txt too)

cd "$(dirname "$0")"
exec python tornado_server.py "$@"
