"""Binding a call's fields to a method's parameters (server/registry.py): the tutorial's field names,
positional params, strict types, and refusals that name the field."""

from __future__ import annotations

import pytest

from server.errors import ApiError
from server.registry import METHODS, bind, field_name

import handlers  # noqa: F401  (registers the methods)


def test_keyword_fields_are_declared_with_a_trailing_underscore():
    assert field_name("pass_") == "pass" and field_name("global_") == "global"
    assert field_name("access_token") == "access_token"


def test_bind_maps_the_tutorial_fields_to_parameters():
    arguments = bind(METHODS["signIn"], {"user": "a@example.com", "pass": "x"})
    assert arguments == {"user": "a@example.com", "pass_": "x"}


@pytest.mark.parametrize(
    "params,code,field",
    [
        ({"user": "a@example.com"}, "MissingField", "pass"),
        ({"user": 5, "pass": "x"}, "InvalidField", "user"),
        ({"user": "a@example.com", "pass": None}, "InvalidField", "pass"),
        ({"user": "a@example.com", "pass": "x", "pas": "y"}, "UnknownField", "pas"),
        ({"user": "a@example.com", "pass_": "x"}, "UnknownField", "pass_"),
    ],
)
def test_bind_refuses_bad_fields_naming_them(params, code, field):
    with pytest.raises(ApiError) as caught:
        bind(METHODS["signIn"], params)
    assert caught.value.code == code and caught.value.field == field
    assert f'"{field}"' in caught.value.message


def test_bind_takes_positional_params_in_declared_order():
    assert bind(METHODS["signIn"], ["a@example.com", "x"]) == {"user": "a@example.com", "pass_": "x"}
    with pytest.raises(ApiError):
        bind(METHODS["signIn"], ["a", "b", "c"])


def test_bind_checks_booleans_strictly():
    assert bind(METHODS["signOut"], {"global": True}) == {"global_": True}
    with pytest.raises(ApiError):
        bind(METHODS["signOut"], {"global": "yes"})


def test_extra_attribute_fields_cannot_shadow_parameters():
    with pytest.raises(ApiError) as caught:
        bind(METHODS["createAccount"], {"user": "a@example.com", "pass": "x", "call": "y"})
    assert caught.value.code == "UnknownField"
