"""The values the tests sign up, confirm and sign in with: every account's password, the code the
tests' local Cognito pins for every email, and the local admin it makes."""

CODE = "123456"  # LOCAL_COGNITO_CODE in the tests
PASSWORD = "I_love_apples"
ADMIN_EMAIL = "admin@example.com"  # LOCAL_ADMIN_EMAIL in the tests
ADMIN_PASSWORD = "Admin_password_1"
