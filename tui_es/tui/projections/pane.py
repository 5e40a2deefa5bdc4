"""The Projections pane: each view's size, checkpoint and lag; its rows; rebuilds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Label, ProgressBar, Static
from textual.worker import Worker, get_current_worker

from tui_es.es.application import Application
from tui_es.es.store import ViewRow
from tui_es.es.views import ViewProjection, by_aggregate_id
from tui_es.es.words import plural
from tui_es.tui.messages import ShowAggregate
from tui_es.tui.palette import PaletteCommand
from tui_es.tui.pane import StorePane
from tui_es.tui.projections.render import render_payload
from tui_es.tui.values import summary

PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class ViewStatus:
    name: str
    rows: int | None  # None: the view's table cannot be read (e.g. a read-only store without it)
    checkpoint: int
    lag: int


@dataclass(frozen=True, slots=True)
class Loaded:
    """One consistent read: every view's status and a page of one view's rows."""

    head: int
    views: list[ViewStatus]
    view: str
    offset: int
    rows: list[ViewRow]


class ProjectionsPane(StorePane):
    TITLE: ClassVar[str] = "Projections"
    HELP: ClassVar[str] = """\
A **projection** (a view) is a read model folded from the events: each row
is updated in the same transaction that commits the events it depends on.

- The table on top lists the domain's views: the number of **rows**, the
  **checkpoint** (the last position of the log folded into the view) and the
  **lag** behind the head of the log (0 when up to date).
- Below: the rows of the selected view, a page at a time, and the selected
  row's payload. Lists of objects are shown as tables.
- **Rebuild** empties the view and folds the whole log into it again, with a
  progress bar; the rows come out the same, which is the point of event
  sourcing.
"""
    DEFAULT_FOCUS: ClassVar[str] = "#view-rows"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rebuild", "Rebuild", tooltip="Empty the view and fold the log again"),
        Binding("left_square_bracket", "page(-1)", "Prev page", key_display="["),
        Binding("right_square_bracket", "page(1)", "Next page", key_display="]"),
        Binding("t", "time_travel", "Time travel", tooltip="Open this row's aggregate"),
    ]

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(application, id=id, classes=classes)
        views = application.domain.views
        self.view_name: str | None = views[0].name if views else None
        self.page_offset = 0
        self.loaded: Loaded | None = None
        self.rebuilding: str | None = None
        self._selected_id: str | None = None
        self._fitted_width = 0
        # what the rows table and the detail show, to leave them be when nothing changed
        self._rows_shown: object = None
        self._detail_shown: object = None
        self._reading: Worker[None] | None = None
        self._head_moved_to: int | None = None  # while a read was under way

    def compose(self) -> ComposeResult:
        yield DataTable(id="views", cursor_type="row")
        yield Static("", id="view-info", markup=False)
        with Horizontal(id="rebuild-bar"):
            yield Label("", id="rebuild-label", markup=False)
            yield ProgressBar(id="rebuild-progress", show_eta=False)
        with Horizontal(id="view-body"):
            yield DataTable(id="view-rows", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="row-detail"):
                yield Static("", id="row-detail-content")

    def on_mount(self) -> None:
        views = self.query_one("#views", DataTable)
        views.add_column("View", key="view")
        views.add_column("Rows", key="rows")
        views.add_column("Checkpoint", key="checkpoint")
        views.add_column("Lag", key="lag")
        self.query_one("#rebuild-bar").display = False
        self._setup_rows_columns()
        if self.view_name is None:
            self.query_one("#view-info", Static).update("This domain declares no view.")
            return
        self.reload()

    # -- what is shown ----------------------------------------------------------------------------
    @property
    def projection(self) -> ViewProjection | None:
        for view in self.application.domain.views:
            if view.name == self.view_name:
                return view
        return None

    def _setup_rows_columns(self) -> None:
        rows = self.query_one("#view-rows", DataTable)
        rows.clear(columns=True)
        self._rows_shown = None
        projection = self.projection
        rows.add_column(projection.key_label if projection else "view_id", key="view_id")
        rows.add_column("ver", key="version")
        rows.add_column("summary", key="summary")

    def reload(self) -> None:
        if self.view_name is not None:
            self._head_moved_to = None
            self._reading = self._load(self.view_name, self.page_offset)

    def store_changed(self, head: int) -> None:
        reading = self._reading
        if reading is not None and not reading.is_finished:
            # The read under way may have read the head before it moved: read again once it
            # is done, if it did. Cancelling it would only throw away what it read (the
            # first read, started on mount, and the head's first report always cross).
            self._head_moved_to = max(head, self._head_moved_to or 0)
            return
        if self.loaded is None or self.loaded.head != head:
            self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._reading or not event.worker.is_finished:
            return
        moved_to = self._head_moved_to
        self._head_moved_to = None
        if moved_to is not None and (self.loaded is None or self.loaded.head < moved_to):
            self.reload()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, view: str, offset: int) -> None:
        store = self.application.store
        try:
            head = store.head_position()
            checkpoints = store.checkpoints()
            statuses = []
            for projection in self.application.domain.views:
                try:
                    count: int | None = store.view_count(projection.name)
                except Exception:
                    count = None
                checkpoint = checkpoints.get(projection.name, 0)
                statuses.append(ViewStatus(projection.name, count, checkpoint, head - checkpoint))
            try:
                rows = store.view_rows(view, offset, PAGE_SIZE)
            except Exception:
                rows = []
        except Exception as e:
            self.app.call_from_thread(
                self.notify, f"{type(e).__name__}: {e}", title="Projections", severity="error"
            )
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, Loaded(head, statuses, view, offset, rows))

    def _show(self, loaded: Loaded) -> None:
        if loaded.view != self.view_name:
            return  # the user moved on to another view while this was read
        self.loaded = loaded
        self.page_offset = loaded.offset
        self._show_views(loaded)
        self._show_rows(loaded)
        self.refresh_bindings()
        self.call_after_refresh(self._refit)

    def _show_views(self, loaded: Loaded) -> None:
        table = self.query_one("#views", DataTable)
        table.clear()
        for status in loaded.views:
            lag = Text(str(status.lag), style="bold yellow" if status.lag else "green")
            if status.lag:
                lag.append(" behind", style="yellow")
            table.add_row(
                status.name,
                "—" if status.rows is None else str(status.rows),
                str(status.checkpoint),
                lag,
                key=status.name,
            )
        names = [s.name for s in loaded.views]
        if loaded.view in names:
            table.move_cursor(row=names.index(loaded.view), animate=False)
        shown = next((s for s in loaded.views if s.name == loaded.view), None)
        info = self.query_one("#view-info", Static)
        projection = self.projection
        description = projection.description if projection else ""
        if shown is None or shown.rows is None:
            text = f"{description}\nThe view's table cannot be read."
        elif shown.rows == 0:
            text = f"{description}\nNo rows yet."
        else:
            last = loaded.offset + len(loaded.rows)
            pages = "" if shown.rows <= PAGE_SIZE else "  ·  [ ] turn pages"
            text = f"{description}\nrows {loaded.offset + 1}-{last} of {shown.rows}{pages}"
        content = Content(text)
        if shown is not None and shown.lag and self.application.catch_up_projection == shown.name:
            # still behind since the catch-up failed when the store was opened: say why
            content = Content("\n").join(
                [
                    content,
                    Content.from_markup(
                        "[b $text-error]⚠ could not catch up:[/] $p",
                        p=self.application.catch_up_problem or "",
                    ),
                ]
            )
        info.update(content)

    def _show_rows(self, loaded: Loaded, *, again: bool = False) -> None:
        shown = (loaded.view, loaded.offset, [(r.view_id, r.version) for r in loaded.rows])
        if shown == self._rows_shown and not again:
            return  # the head moved, these rows did not (another process writing elsewhere)
        table = self.query_one("#view-rows", DataTable)
        keep = self._selected_id
        # Columns too: a DataTable column keeps the widest width it ever held.
        self._setup_rows_columns()
        self._rows_shown = shown
        width = self._summary_width(loaded.rows)
        for row in loaded.rows:
            table.add_row(
                row.view_id,
                str(row.version),
                summary(row.payload, skip=row.view_id, width=width),
                key=row.view_id,
            )
        ids = [r.view_id for r in loaded.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        self._show_detail(loaded.rows[table.cursor_row] if loaded.rows else None)

    def _summary_width(self, rows: list[ViewRow]) -> int:
        """Room left for the summary, so the table never scrolls sideways."""
        table = self.query_one("#view-rows", DataTable)
        available = table.size.width or 80
        self._fitted_width = table.size.width
        key = max((len(r.view_id) for r in rows), default=0)
        key = max(key, len(self.projection.key_label if self.projection else "view_id"))
        version = max((len(str(r.version)) for r in rows), default=0)
        fixed = key + max(version, 3) + 2 * 3
        if len(rows) > table.size.height - 1:
            fixed += table.styles.scrollbar_size_vertical
        return max(12, available - fixed)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        """Fit the summaries again once the table has its real width."""
        table = self.query_one("#view-rows", DataTable)
        if self.loaded is not None and table.size.width != self._fitted_width:
            self._show_rows(self.loaded, again=True)

    def _show_detail(self, row: ViewRow | None) -> None:
        content = self.query_one("#row-detail-content", Static)
        detail = None if row is None else (self.view_name, row.view_id, row.version)
        if detail is not None and detail == self._detail_shown:
            return  # a long row takes rich a while to lay out: not again for nothing
        self._detail_shown = detail
        if row is None:
            self._selected_id = None
            content.update("")
            return
        self._selected_id = row.view_id
        title = Text.assemble((row.view_id, "bold"), (f" · version {row.version}", "dim"))
        content.update(Group(title, Text(""), render_payload(row.payload)))

    @property
    def selected_row(self) -> ViewRow | None:
        if self.loaded is None:
            return None
        return next((r for r in self.loaded.rows if r.view_id == self._selected_id), None)

    # -- choosing ---------------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#views")
    def _view_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        name = event.row_key.value
        if name is None or name == self.view_name:
            return
        self.view_name = name
        self.page_offset = 0
        self._selected_id = None
        self._setup_rows_columns()
        self.reload()

    @on(DataTable.RowHighlighted, "#view-rows")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.loaded is None:
            return
        row = next((r for r in self.loaded.rows if r.view_id == event.row_key.value), None)
        self._show_detail(row)
        self.refresh_bindings()

    def action_page(self, step: int) -> None:
        if self.loaded is None:
            return
        status = next((s for s in self.loaded.views if s.name == self.view_name), None)
        total = status.rows if status and status.rows else 0
        offset = max(0, self.page_offset + step * PAGE_SIZE)
        if offset >= total or offset == self.page_offset:
            return
        self.page_offset = offset
        self._selected_id = None
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rebuild":
            return None if self.read_only or self.rebuilding else bool(self.view_name)
        if action == "page":
            if self.loaded is None:
                return None
            status = next((s for s in self.loaded.views if s.name == self.view_name), None)
            return bool(status and status.rows and status.rows > PAGE_SIZE)
        if action == "time_travel":
            return self._aggregate_type() is not None and self.selected_row is not None
        return True

    # -- time travel ------------------------------------------------------------------------------
    def _aggregate_type(self) -> str | None:
        """The aggregate type a row stands for, when the view keeps one row per aggregate."""
        projection = self.projection
        if projection is None or projection.view_id is not by_aggregate_id:
            return None
        if len(projection.aggregate_types) != 1:
            return None
        return next(iter(projection.aggregate_types))

    def action_time_travel(self) -> None:
        aggregate_type = self._aggregate_type()
        row = self.selected_row
        if aggregate_type is not None and row is not None:
            self.post_message(ShowAggregate(aggregate_type, row.view_id))

    # -- rebuilding -------------------------------------------------------------------------------
    def action_rebuild(self, name: str | None = None) -> None:
        name = name or self.view_name
        if name is None:
            return
        if self.read_only:
            self.notify("The store is open read-only: views cannot be rebuilt.", severity="warning")
            return
        if self.rebuilding:
            self.notify(f"{self.rebuilding} is being rebuilt already.")
            return
        self.rebuilding = name
        self.query_one("#rebuild-label", Label).update(f"Rebuilding {name}")
        bar = self.query_one("#rebuild-progress", ProgressBar)
        bar.update(total=None, progress=0)
        self.query_one("#rebuild-bar").display = True
        self.refresh_bindings()
        self._rebuild(name)

    @work(thread=True, exclusive=True, group="rebuild", exit_on_error=False)
    def _rebuild(self, name: str) -> None:
        def progress(reached: int, head: int) -> None:
            self.app.call_from_thread(self._progress, reached, head)

        try:
            folded = self.application.rebuild(name, progress=progress)[name]
        except Exception as e:
            self.app.call_from_thread(self._rebuilt, name, None, f"{type(e).__name__}: {e}")
        else:
            self.app.call_from_thread(self._rebuilt, name, folded, None)

    def _progress(self, reached: int, head: int) -> None:
        self.query_one("#rebuild-progress", ProgressBar).update(
            total=max(head, 1), progress=reached
        )

    def _rebuilt(self, name: str, folded: int | None, error: str | None) -> None:
        self.rebuilding = None
        self.query_one("#rebuild-bar").display = False
        self.refresh_bindings()
        if error is not None:
            self.notify(error, title=f"Rebuilding {name} failed", severity="error")
        else:
            self.notify(
                f"{name}: {plural(folded or 0, 'position')} folded again.", title="View rebuilt"
            )
        self.reload()

    # -- palette ---------------------------------------------------------------------------------
    def show_view(self, name: str) -> None:
        names = [v.name for v in self.application.domain.views]
        if name in names:
            self.query_one("#views", DataTable).move_cursor(row=names.index(name))

    def palette_commands(self) -> list[PaletteCommand]:
        views = self.application.domain.views
        commands = []
        if len(views) > 1:
            commands += [
                PaletteCommand(
                    f"Show view {v.name}", v.description, partial(self.show_view, v.name)
                )
                for v in views
            ]
        if not self.read_only:
            commands += [
                PaletteCommand(
                    f"Rebuild view {v.name}",
                    "Empty it and fold the whole log into it again",
                    partial(self.action_rebuild, v.name),
                )
                for v in views
            ]
        return commands
