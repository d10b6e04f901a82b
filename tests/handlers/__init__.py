"""Tests of the methods and routes in handlers/, over real HTTP against the local Cognito."""
