"""The product: its methods and its routes, one module per area. Importing this package fills the
method registry; ``server.app`` takes each route module's ``ROUTES``."""

from handlers import accounts, admin, attributes, mfa, passkeys, passwordless, passwords, sign_in  # noqa: F401  (registration)
