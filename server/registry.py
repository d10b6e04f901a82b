"""The method registry: one dict from method name to handler, filled by the ``@method`` decorator.

Both envelopes (the tutorial's ``env`` and JSON-RPC 2.0) look methods up here. A handler is an
``async def`` whose first parameter is the ``Call`` and whose other parameters are the request's
fields, typed; ``bind`` checks a request's fields against that signature before anything runs, and
``Field.schema`` and ``Method``'s ``*_schema`` say the same as JSON Schema, for ``/openapi.json``. A
field whose name is a Python keyword (the tutorial's ``pass``) is declared with a trailing underscore
(``pass_``), as PEP 8 suggests.

A method whose answers a guesser could learn from (it takes a user name) is declared
``rate_limited``: ``server.rate_limits`` counts its calls. One whose answer must not tell whether an
account exists by how long it takes is declared ``uniform_time``: the dispatcher answers it no sooner
than ``UNIFORM_ANSWER_SECONDS`` after it began.

A field may carry a check beyond its type, as ``Annotated[str, FieldCheck(...)]`` (the emails of
``server.user_names``): ``bind`` runs it, so a refused value never reaches the method.

A method that reads or sets the refresh
cookie is declared ``refresh_cookie``: the dispatcher refuses it to pages of other origins, whose
requests carry the cookie too when they are of the same site (another port of the same host).
"""

from __future__ import annotations

import dataclasses
import inspect
import keyword
import types
import typing
from typing import Annotated, Any, Awaitable, Callable, Mapping

from server.errors import ApiError

Handler = Callable[..., Awaitable[dict]]

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean"}


@dataclasses.dataclass(frozen=True, eq=False)  # compared (and hashed, in Annotated) as itself
class FieldCheck:
    """What a field's value must be beyond its type: ``check(value, field name)`` answers the value the
    method gets (e.g. without surrounding spaces) or raises ApiError; ``schema`` says the same in JSON
    Schema, added to the field's."""

    check: Callable[[Any, str], Any]
    schema: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Field:
    """One request field a method takes."""

    name: str  # as the client spells it
    parameter: str  # as the handler declares it
    type: type
    required: bool
    nullable: bool
    check: FieldCheck | None = None

    def schema(self) -> dict:
        """The field's JSON Schema."""
        kind = _JSON_TYPES[self.type]
        schema: dict[str, Any] = {"type": [kind, "null"] if self.nullable else kind}
        if self.check is not None:
            schema.update(self.check.schema)
        if self.name in BROWSER_SESSION_FIELDS:
            schema["description"] = (
                "A page signed in through the hosted UI may leave it out: its session's token is used."
            )
        return schema


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    handler: Handler
    fields: tuple[Field, ...]
    # The type of ``**extra`` fields, when the handler takes them (their names are the handler's
    # to check).
    extra_type: type | None
    # Every parameter name of the handler: an extra field may not take one of these.
    parameter_names: frozenset[str]
    # Whether its calls are counted and refused past the rate limits (server.rate_limits).
    rate_limited: bool = False
    # Whether it answers no sooner than UNIFORM_ANSWER_SECONDS after it began (server.dispatch).
    uniform_time: bool = False
    # Whether it reads or sets the refresh cookie: then pages of other origins may not call it.
    refresh_cookie: bool = False

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def by_name_schema(self) -> dict:
        """The fields as the members of an object (the ``env`` envelope adds ``env``)."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: f.schema() for f in self.fields},
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if self.extra_type is None:
            schema["additionalProperties"] = False
        else:
            # Extra fields the handler checks itself (standard attributes); they may not take the name
            # of one of its other parameters, and "jsonrpc" would make the body a JSON-RPC request.
            schema["additionalProperties"] = {"type": _JSON_TYPES[self.extra_type]}
            taken = sorted(self.parameter_names - {f.name for f in self.fields}) + ["jsonrpc"]
            schema["propertyNames"] = {"not": {"enum": taken}}
        return schema

    def positional_schema(self) -> dict:
        """JSON-RPC's by-position ``params``: the fields in the handler's order."""
        last_required = max((i for i, f in enumerate(self.fields) if f.required), default=-1)
        schema: dict[str, Any] = {"type": "array", "maxItems": len(self.fields)}
        if self.fields:
            schema["prefixItems"] = [f.schema() for f in self.fields]
        if last_required >= 0:
            schema["minItems"] = last_required + 1
        return schema


METHODS: dict[str, Method] = {}

# Fields a browser session can fill in when the request leaves them out (hosted-UI sign-in: the
# page never sees the access token).
BROWSER_SESSION_FIELDS = frozenset({"access_token"})


def field_name(parameter: str) -> str:
    """The request field for a handler parameter: ``pass_`` answers to ``pass``."""
    if parameter.endswith("_") and keyword.iskeyword(parameter[:-1]):
        return parameter[:-1]
    return parameter


def _plain_type(annotation: Any) -> tuple[type, bool, FieldCheck | None]:
    """(the type, whether None is allowed, its check) for ``str``, ``int``, ``bool``, ``X | None``,
    and ``Annotated[X, FieldCheck(...)]``."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extras = typing.get_args(annotation)
        checks = [extra for extra in extras if isinstance(extra, FieldCheck)]
        kind, nullable, _ = _plain_type(base)
        return kind, nullable, checks[0] if checks else None
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"unsupported annotation {annotation!r}")
        kind, _, check = _plain_type(members[0])
        return kind, True, check
    if annotation not in (str, int, bool):
        raise TypeError(f"unsupported annotation {annotation!r}")
    return annotation, False, None


def method(
    *names: str, rate_limited: bool = False, uniform_time: bool = False, refresh_cookie: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated handler under each of ``names`` (the first is its own name); with
    ``rate_limited``, its calls are counted per client address and per user name; with
    ``uniform_time``, it answers no sooner than UNIFORM_ANSWER_SECONDS after it began; with
    ``refresh_cookie`` (it reads or sets the refresh cookie), pages of other origins may not call it."""

    def register(handler: Handler) -> Handler:
        hints = typing.get_type_hints(handler, include_extras=True)
        signature = inspect.signature(handler)
        parameters = list(signature.parameters.values())[1:]  # skip the Call
        fields = []
        extra_type = None
        for parameter in parameters:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                extra_type = _plain_type(hints[parameter.name])[0]
                continue
            field_type, nullable, check = _plain_type(hints[parameter.name])
            fields.append(
                Field(
                    name=field_name(parameter.name),
                    parameter=parameter.name,
                    type=field_type,
                    required=parameter.default is inspect.Parameter.empty,
                    nullable=nullable,
                    check=check,
                )
            )
        for name in names:
            if name in METHODS:
                raise ValueError(f"method {name!r} registered twice")
            METHODS[name] = Method(
                name,
                handler,
                tuple(fields),
                extra_type,
                frozenset(signature.parameters),
                rate_limited,
                uniform_time,
                refresh_cookie,
            )
        return handler

    return register


_TYPE_WORDS = {str: "a string", int: "a whole number", bool: "true or false"}


def _check_type(method_: Method, name: str, value: Any, expected: type, nullable: bool) -> None:
    if value is None and nullable:
        return
    # Decoded JSON holds exactly these types, so an exact match is the check (and keeps
    # true/false out of whole-number fields, bool being a subclass of int).
    if type(value) is not expected:
        raise ApiError(
            "InvalidField", f'The field "{name}" of {method_.name} must be {_TYPE_WORDS[expected]}.', field=name
        )


def bind(method_: Method, params: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """Check ``params`` against the method's fields; return keyword arguments for its handler."""
    if isinstance(params, list):
        if len(params) > len(method_.fields):
            raise ApiError("UnknownField", f"{method_.name} takes at most {len(method_.fields)} positional parameters.")
        params = {f.name: value for f, value in zip(method_.fields, params)}

    arguments: dict[str, Any] = {}
    for name, value in params.items():
        field = method_.field(name)
        if field is None:
            if method_.extra_type is None or name in method_.parameter_names:
                raise ApiError(
                    "UnknownField", f'{method_.name} does not take a field named "{name[:64]}".', field=name[:64]
                )
            _check_type(method_, name, value, method_.extra_type, nullable=False)
            arguments[name] = value
            continue
        _check_type(method_, name, value, field.type, field.nullable)
        if field.check is not None and value is not None:
            value = field.check.check(value, name)
        arguments[field.parameter] = value

    for field in method_.fields:
        if field.required and field.parameter not in arguments and field.name not in BROWSER_SESSION_FIELDS:
            raise ApiError("MissingField", f'{method_.name} needs the field "{field.name}".', field=field.name)
    return arguments
