"""The product's methods, one module per area; importing this package fills the method registry."""

from handlers import accounts, admin, mfa, passwords, sessions  # noqa: F401  (imported for registration)
