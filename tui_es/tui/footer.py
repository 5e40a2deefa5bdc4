"""The dashboard's footer: the keys that work everywhere first, then those of the focused pane.

Textual's footer lists the focused widget's keys first and the app's last: on
a narrow terminal, or beside a pane with many keys, the keys that reach the
panes, the help and the lab fell off its end. Here they come first; the pane's
own keys take the room left (F1 lists every one of them).

Textual's footer also composes its keys again on every "bindings updated"
signal, and one focus change sends two of them; each compose mounts and styles
some thirty widgets. This one answers a burst of signals with one look at the
keys, and composes only when the keys it would show have changed: a jump typed
into the stream pane drew its row after two or three such composes before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby

from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.screen import Screen

# Textual exports only Footer; its parts are needed to lay out the same keys in another order.
from textual.widgets._footer import Footer, FooterKey, FooterLabel, KeyGroup


@dataclass(frozen=True, slots=True)
class Key:
    """One key as the footer shows it; equal keys draw the same."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


@dataclass(frozen=True, slots=True)
class Group:
    """Keys of one binding group shown together, under the group's description."""

    description: str
    compact: bool
    keys: tuple[Key, ...]


Item = Key | Group


class DashboardFooter(Footer):
    """A compact footer, the app's and the screen's keys before the focused widget's."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._composed: tuple[tuple[Item, ...], Key | None] | None = None
        self._look_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return  # as Textual's footer: the keys are looked at again when focus returns
        if self.is_attached and screen is self.screen and not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._look_again)

    async def _look_again(self) -> None:
        self._look_pending = False
        if self.is_attached and self._keys() != self._composed:
            await self.recompose()

    def _keys(self) -> tuple[tuple[Item, ...], Key | None] | None:
        """What ``compose`` shows: the keys and groups in order, and the palette's key."""
        if not self._bindings_ready:
            return None
        active = self.screen.active_bindings
        shown = [a for a in active.values() if a.binding.show]
        everywhere = (self.app, self.screen)
        # sorted is stable: within each part the order stays Textual's
        shown.sort(key=lambda a: a.node not in everywhere)
        by_action: defaultdict[str, list[ActiveBinding]] = defaultdict(list)
        for item in shown:
            by_action[item.binding.action].append(item)
        items: list[Item] = []
        for group, same_group in groupby(by_action.values(), lambda same: same[0].binding.group):
            actions = list(same_group)
            if group is not None and len(actions) > 1:
                # grouped keys show no description of their own: it is their tooltip
                keys = tuple(
                    self._key(
                        same[0],
                        description="",
                        tooltip=same[0].tooltip or same[0].binding.description,
                    )
                    for same in actions
                )
                items.append(Group(group.description, group.compact, keys))
            else:
                items.extend(self._key(same[0]) for same in actions)
        palette: Key | None = None
        found = active.get(self.app.COMMAND_PALETTE_BINDING)
        if found is not None and self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self._key(found, tooltip=found.binding.tooltip or found.binding.description)
        return tuple(items), palette

    def _key(
        self, active: ActiveBinding, *, description: str | None = None, tooltip: str | None = None
    ) -> Key:
        _, binding, enabled, binding_tooltip = active
        return Key(
            binding.key,
            self.app.get_key_display(binding),
            binding.description if description is None else description,
            binding.action,
            enabled,
            binding_tooltip if tooltip is None else tooltip,
        )

    def compose(self) -> ComposeResult:
        self._composed = keys = self._keys()
        if keys is None:
            return
        items, palette = keys
        for item in items:
            if isinstance(item, Group):
                with KeyGroup(classes="-compact" if item.compact else ""):
                    for key in item.keys:
                        yield self._widget(key, classes="-grouped")
                yield FooterLabel(item.description)
            else:
                yield self._widget(item)
        if palette is not None:
            yield FooterKey(
                palette.key,
                palette.display,
                palette.description,
                palette.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=palette.tooltip,
            )

    def _widget(self, key: Key, *, classes: str = "") -> FooterKey:
        return FooterKey(
            key.key,
            key.display,
            key.description,
            key.action,
            disabled=not key.enabled,
            tooltip=key.tooltip,
            classes=classes,
        ).data_bind(compact=Footer.compact)
