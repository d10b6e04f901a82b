"""Tests of the local Cognito (local_cognito/), one module per module of the package."""
