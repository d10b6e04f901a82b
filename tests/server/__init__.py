"""Tests of the infrastructure in server/, one module per module it tests."""
