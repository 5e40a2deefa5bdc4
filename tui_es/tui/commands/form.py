"""The inputs of one command, generated from its schema, checked as they are typed."""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui_es.es.messages import Command
from tui_es.tui.commands.schema import (
    FieldSpec,
    FormResult,
    RawValue,
    build_command,
    command_fields,
)


class CommandForm(Vertical):
    """One row per field: label (``*`` when required), input, and the field's error under it.

    Errors show only for fields the user changed, so a fresh form is not a wall
    of "required"; ``check(show_all=True)`` (on Execute) shows every problem.
    """

    def __init__(
        self,
        model: type[Command],
        values: Mapping[str, RawValue] | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="command-form")
        self.model = model
        self.specs = command_fields(model)
        self._values = dict(values or {})
        self._inputs: dict[str, Widget] = {}
        self._errors: dict[str, Static] = {}
        self._initial: dict[str, RawValue] = {}
        self._touched: set[str] = set()
        self._general = Static("", classes="field-error form-general", markup=False)

    def compose(self) -> ComposeResult:
        if not self.specs:
            yield Static("This command has no fields.", classes="form-empty")
        for spec in self.specs:
            widget = self._make_input(spec)
            self._inputs[spec.name] = widget
            self._initial[spec.name] = self._raw(widget)
            error = Static("", classes="field-error", markup=False)
            error.display = False
            self._errors[spec.name] = error
            with Horizontal(classes="form-field"):
                yield Label(spec.label, classes="field-label")
                yield widget
            yield error
        self._general.display = False
        yield self._general

    def _make_input(self, spec: FieldSpec) -> Widget:
        given = self._values.get(spec.name)
        tooltip = spec.description or None
        if spec.kind == "boolean":
            value = bool(given) if given is not None else bool(spec.default)
            return Checkbox(
                spec.description or spec.name,
                value,
                compact=True,
                name=spec.name,
                classes="field-input",
            )
        if spec.kind == "choice":
            options = [(str(c), str(c)) for c in spec.choices]
            initial = given if given is not None else spec.initial_text() or None
            return Select(
                options,
                prompt="null" if spec.nullable else "choose",
                allow_blank=initial is None or spec.nullable,
                value=initial if initial is not None else Select.NULL,
                compact=True,
                name=spec.name,
                classes="field-input",
                tooltip=tooltip,
            )
        text = given if isinstance(given, str) else spec.initial_text()
        return Input(
            text,
            placeholder=spec.placeholder,
            compact=True,
            name=spec.name,
            classes="field-input",
            tooltip=tooltip,
        )

    # -- values ---------------------------------------------------------------------------------
    @staticmethod
    def _raw(widget: Widget) -> RawValue:
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            value = widget.value
            return None if value is Select.NULL else str(value)
        return None

    def raw_values(self) -> dict[str, RawValue]:
        return {name: self._raw(widget) for name, widget in self._inputs.items()}

    def input_for(self, name: str) -> Widget:
        return self._inputs[name]

    def error_for(self, name: str) -> str:
        return str(self._errors[name].content)

    # -- checking ---------------------------------------------------------------------------------
    def check(self, *, show_all: bool = False) -> FormResult:
        result = build_command(self.model, self.specs, self.raw_values())
        if show_all:
            self._touched.update(self._inputs)
        for name, error_widget in self._errors.items():
            message = result.errors.get(name, "") if name in self._touched else ""
            error_widget.update(f"↳ {message}" if message else "")
            error_widget.display = bool(message)
            self._inputs[name].set_class(bool(message), "-invalid")
        general = "; ".join(result.general) if show_all else ""
        self._general.update(general)
        self._general.display = bool(general)
        return result

    def _changed(self, widget: Widget) -> None:
        name = widget.name
        if name is None or name not in self._inputs:
            return
        if self._raw(widget) != self._initial.get(name):
            self._touched.add(name)
        self.check()

    @on(Input.Changed, ".field-input")
    def _input_changed(self, event: Input.Changed) -> None:
        self._changed(event.input)

    @on(Select.Changed, ".field-input")
    def _select_changed(self, event: Select.Changed) -> None:
        self._changed(event.select)

    @on(Checkbox.Changed, ".field-input")
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._changed(event.checkbox)

    @on(Input.Submitted, ".field-input")
    def _next_field(self, event: Input.Submitted) -> None:
        # Enter moves on, as in a paper form; executing is a deliberate ctrl+s.
        event.stop()
        self.screen.focus_next()
