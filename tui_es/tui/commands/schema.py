"""Form fields from a command's pydantic schema, and the text typed into them back to a command.

No Textual here: the form widget only shows what this module decides, so
the rules (what is required, what parses as a number, which error belongs
to which field) are tested without a terminal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

FieldKind = Literal["string", "number", "integer", "boolean", "choice", "json"]

_SCALARS: dict[str, FieldKind] = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
}
_HINTS: dict[FieldKind, str] = {
    "string": "text",
    "number": "number",
    "integer": "whole number",
    "boolean": "yes/no",
    "choice": "one of the choices",
    "json": "JSON",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input of a command form."""

    name: str
    kind: FieldKind
    required: bool
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    description: str = ""
    choices: tuple[Any, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} *" if self.required else self.name

    @property
    def placeholder(self) -> str:
        hint = _HINTS[self.kind]
        if self.nullable:
            hint += ", empty for null"
        elif not self.required:
            hint += ", empty for the default"
        return f"{self.description} ({hint})" if self.description else hint

    def initial_text(self) -> str:
        """What the input shows before anything is typed: the default, if any."""
        if not self.has_default or self.default is None:
            return ""
        return value_text(self, self.default)


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**defs.get(ref.removeprefix("#/$defs/"), {}), **schema}
    return schema


def _kind(
    schema: Mapping[str, Any], defs: Mapping[str, Any]
) -> tuple[FieldKind, bool, tuple[Any, ...]]:
    """The input for a property: (kind, accepts null, choices)."""
    schema = _resolve(schema, defs)
    nullable = False
    options = schema.get("anyOf")
    if isinstance(options, list):
        others = [_resolve(o, defs) for o in options if o.get("type") != "null"]
        nullable = len(others) < len(options)
        if len(others) != 1:
            return "json", nullable, ()
        schema = others[0]
    if "enum" in schema:
        return "choice", nullable, tuple(schema["enum"])
    if "const" in schema:
        return "choice", nullable, (schema["const"],)
    kind = _SCALARS.get(str(schema.get("type")), "json")
    return kind, nullable, ()


def command_fields(model: type[BaseModel]) -> list[FieldSpec]:
    """The form's fields, in declaration order."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    specs = []
    for name, prop in schema.get("properties", {}).items():
        kind, nullable, choices = _kind(prop, defs)
        specs.append(
            FieldSpec(
                name=name,
                kind=kind,
                required=name in required,
                nullable=nullable,
                default=prop.get("default"),
                has_default="default" in prop,
                description=str(prop.get("description", "")),
                choices=choices,
            )
        )
    return specs


# -- text -> value ------------------------------------------------------------------------------
class _Omit:
    """The field was left empty: let the model use its default (or report it missing)."""


OMIT = _Omit()
RawValue = str | bool | None  # text of an input, state of a switch, or a choice (None: none)


def parse_field(spec: FieldSpec, raw: RawValue) -> tuple[Any, str | None]:
    """The JSON value for one field, or the reason the raw input is not one."""
    if spec.kind == "boolean":
        return bool(raw), None
    if spec.kind == "choice":
        if raw is None:
            return (None, None) if spec.nullable else (OMIT, None)
        return next((c for c in spec.choices if str(c) == str(raw)), raw), None
    text = "" if raw is None or isinstance(raw, bool) else raw
    if not text.strip():
        if spec.kind == "string" and text and not spec.nullable:
            return text, None
        return (None, None) if spec.nullable else (OMIT, None)
    if spec.kind == "string":
        return text, None
    if spec.kind == "number":
        try:
            number = float(text.strip().replace("_", ""))
        except ValueError:
            return OMIT, f"{text.strip()!r} is not a number"
        if not math.isfinite(number):
            return OMIT, "must be a finite number"
        return number, None
    if spec.kind == "integer":
        try:
            return int(text.strip().replace("_", "")), None
        except ValueError:
            return OMIT, f"{text.strip()!r} is not a whole number"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return OMIT, f"invalid JSON at column {e.colno}: {e.msg}"


def value_text(spec: FieldSpec, value: Any) -> str:
    """How a field's value is typed back into its input (recalling a command)."""
    if value is None:
        return ""
    if spec.kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if spec.kind == "number" and isinstance(value, int | float):
        return repr(float(value))
    return str(value)


def skeleton_body(specs: list[FieldSpec], body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with a blank of the right type for each missing required field.

    Switching an empty form to raw JSON then shows the shape to fill in
    (``{"OpenAccount": {"account_id": ""}}``) rather than an empty object.
    """
    blanks: dict[FieldKind, Any] = {
        "string": "",
        "number": 0.0,
        "integer": 0,
        "boolean": False,
        "json": None,
    }
    filled = dict(body)
    for spec in specs:
        if spec.required and spec.name not in filled:
            blank = spec.choices[0] if spec.kind == "choice" and spec.choices else None
            filled[spec.name] = blanks.get(spec.kind) if blank is None else blank
    return {s.name: filled[s.name] for s in specs if s.name in filled}


def raw_value(spec: FieldSpec, value: Any) -> RawValue:
    """What the field's widget holds for a value: text, a switch state, or a choice."""
    if spec.kind == "boolean":
        return bool(value)
    if spec.kind == "choice":
        return None if value is None else str(value)
    return value_text(spec, value)


# -- the whole form -------------------------------------------------------------------------------
@dataclass
class FormResult:
    """A command built from the form, or every reason it could not be."""

    body: dict[str, Any] = field(default_factory=dict)
    command: BaseModel | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field name -> first problem
    general: list[str] = field(default_factory=list)  # problems not tied to one field

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.errors and not self.general


def build_command(
    model: type[BaseModel], specs: list[FieldSpec], raw: Mapping[str, RawValue]
) -> FormResult:
    """Parse each field, then validate the whole model so its own rules report too.

    Validation goes through the JSON the form stands for (not Python objects),
    so the model judges exactly what a raw JSON body with these values would
    give: an enum from its name, a date from its ISO text.
    """
    result = FormResult()
    for spec in specs:
        value, error = parse_field(spec, raw.get(spec.name))
        if error is not None:
            result.errors[spec.name] = error
        elif value is not OMIT:
            result.body[spec.name] = value
    try:
        command = model.model_validate_json(json.dumps(result.body))
    except ValidationError as e:
        known = {s.name for s in specs}
        for item in e.errors(include_url=False):
            loc = item["loc"]
            message = _message(item["type"], item["msg"])
            name = str(loc[0]) if loc else ""
            if name in known:
                if name not in result.errors:
                    rest = ".".join(str(p) for p in loc[1:])
                    result.errors[name] = f"{rest}: {message}" if rest else message
            else:
                where = ".".join(str(p) for p in loc)
                result.general.append(f"{where}: {message}" if where else message)
        return result
    if not result.errors:
        result.command = command
    return result


def _message(kind: str, message: str) -> str:
    return "required" if kind == "missing" else message


def body_values(specs: list[FieldSpec], body: Mapping[str, Any]) -> dict[str, RawValue]:
    """The widget values that show a command's JSON body in the form."""
    return {s.name: raw_value(s, body[s.name]) for s in specs if s.name in body}
