"""The product: its methods and its routes, one module per area. Importing this package fills the
method registry; ``server.app`` takes each route module's ``ROUTES``."""

from handlers import accounts, admin, attributes, devices, mfa, passkeys, passwordless  # noqa: F401  (registration)
from handlers import passwords, sign_in  # noqa: F401  (registration)
