"""The counsellor's dashboard: active bookings with unread counts; Enter opens the room."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from store.text import sanitize_line
from tui.screens.bookings_home import BookingsHome
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class CounsellorHomeScreen(BookingsHome):
    SCREEN_NAME = "counsellor_home"
    ROLE_KEY = "counsellor_home"
    AUTO_FOCUS = "#bookings"  # also when coming back from a room
    BINDINGS = [Binding("enter", "open_selected", "counsellor_home.key_open", priority=True),
                Binding("f7", "app.security", "security.key")]

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("counsellor_home.title"), self.who())
        with Vertical(id="home-body"):
            yield Static("", id="home-status", markup=False)
            yield Static("", id="narrow-hint", markup=False)
            yield DataTable(id="bookings", cursor_type="row", zebra_stripes=True)
            yield Static(self.t("counsellor_home.none"), id="no-bookings", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        # Runs before BookingsHome.on_mount (Textual calls each class's handler in MRO order),
        # so the columns exist when the bookings arrive.
        table = self.query_one(DataTable)
        for key in ("client", "start", "end", "unread"):
            table.add_column(self.t(f"counsellor_home.column_{key}"), key=key)

    def show(self) -> None:
        table = self.query_one(DataTable)
        selected = self._selected_id()
        table.clear()
        for booking in self.bookings:
            unread = self.unread.get(booking.id, 0)
            table.add_row(Text(sanitize_line(booking.client_username)),
                          Text(self.moment(booking.starts_at)), Text(self.moment(booking.ends_at)),
                          Text(str(unread) if unread else "–", style="bold" if unread else ""),
                          key=str(booking.id))
        ids = [b.id for b in self.bookings]
        if selected in ids:
            table.move_cursor(row=ids.index(selected))
        self.query_one("#no-bookings").display = not self.bookings
        table.display = bool(self.bookings)
        self.call_after_refresh(self._ask_for_width)

    def on_resize(self) -> None:
        self.call_after_refresh(self._ask_for_width)

    def _ask_for_width(self) -> None:
        """A table cannot wrap: in a window too narrow for its columns (the unread count is
        the last), say so plainly instead of leaving columns cut off."""
        table = self.query_one(DataTable)
        needed = table.virtual_size.width + self.size.width - table.scrollable_content_region.width
        narrow = table.display and needed > self.size.width
        hint = self.query_one("#narrow-hint", Static)
        if narrow:
            hint.update(self.t("counsellor_home.narrow", width=needed))
        if hint.display != narrow:
            hint.display = narrow

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(row_key.value) if row_key.value is not None else None

    def action_open_selected(self) -> None:
        chosen = self._selected_id()
        for booking in self.bookings:
            if booking.id == chosen:
                self.open_room(booking)
