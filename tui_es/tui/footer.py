"""The dashboard's footer: the keys that work everywhere first, then those of the focused pane.

Textual's footer lists the focused widget's keys first and the app's last: on
a narrow terminal, or beside a pane with many keys, the keys that reach the
panes, the help and the lab fell off its end. Here they come first; the pane's
own keys take the room left (F1 lists every one of them).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from textual.app import ComposeResult
from textual.binding import ActiveBinding

# Textual exports only Footer; its parts are needed to lay out the same keys in another order.
from textual.widgets._footer import Footer, FooterKey, FooterLabel, KeyGroup


class DashboardFooter(Footer):
    """A compact footer, the app's and the screen's keys before the focused widget's."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown = [a for a in active.values() if a.binding.show]
        everywhere = (self.app, self.screen)
        # sorted is stable: within each part the order stays Textual's
        shown.sort(key=lambda a: a.node not in everywhere)
        by_action: defaultdict[str, list[ActiveBinding]] = defaultdict(list)
        for item in shown:
            by_action[item.binding.action].append(item)
        for group, items in groupby(by_action.values(), lambda same: same[0].binding.group):
            actions = list(items)
            if group is not None and len(actions) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for same in actions:
                        _, binding, enabled, tooltip = same[0]
                        yield FooterKey(
                            binding.key,
                            self.app.get_key_display(binding),
                            "",
                            binding.action,
                            disabled=not enabled,
                            tooltip=tooltip or binding.description,
                            classes="-grouped",
                        ).data_bind(compact=Footer.compact)
                yield FooterLabel(group.description)
                continue
            for same in actions:
                _, binding, enabled, tooltip = same[0]
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                ).data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            _, binding, enabled, _tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )
