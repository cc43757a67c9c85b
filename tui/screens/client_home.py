"""The client's home: straight into the room of a single active booking, else the list."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store.clock import from_iso
from store.rooms.booking import Booking, BookingState
from store.text import sanitize_line
from tui.screens.bookings_home import BookingsHome
from tui.screens.profile import ProfileScreen
from tui.screens.request_form import RequestFormScreen
from tui.screens.withdraw_request import WithdrawRequestScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class ClientHomeScreen(BookingsHome):
    SCREEN_NAME = "client_home"
    ROLE_KEY = "client_home"
    AUTO_FOCUS = "#bookings"  # also when coming back from a room
    BINDINGS = [
        Binding("enter", "open_selected", "client_home.key_open", priority=True),
        Binding("n", "new_request", "client_home.key_request"),
        # Not in the footer, which is full at 80 columns: the line under the open requests
        # names the key (and only shows when there is a request to withdraw).
        Binding("w", "withdraw_request", "withdraw_request.key_open", show=False),
        Binding("p", "profile", "key.profile"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._landed = False

    def compose(self) -> ComposeResult:
        # The first status line, said once (after registering: how to log in next time).
        arrival, self.wardroom.context.arrival_note = self.wardroom.context.arrival_note, ""
        yield TopBar(self.t("client_home.title"), self.who())
        with VerticalScroll(id="home-body"):
            yield Static(arrival, id="home-status", markup=False)
            yield Static(self.t("client_home.bookings"), classes="greeting", markup=False)
            yield OptionList(id="bookings")
            yield Static(self.t("client_home.none"), id="no-bookings", classes="paragraph",
                         markup=False)
            yield Static(self.t("client_home.requests"), id="requests-title",
                         classes="greeting", markup=False)
            yield Static("", id="requests", markup=False)
            yield Static("", id="requests-kept", classes="paragraph", markup=False)
        yield KeyFooter()

    async def reload(self) -> None:
        await super().reload()
        if not self._landed:
            self._landed = True
            now = self.wardroom.services.clock.now()
            active = [b for b in self.bookings if b.state(now) is BookingState.ACTIVE]
            if len(active) == 1:
                self.open_room(active[0])
        account = self.wardroom.context.account
        assert account is not None
        own = await self.wardroom.services.requests.own(account)
        pending = [r for r in own if r.status == "open"]
        lines = Text()
        for request in pending:
            text = sanitize_line(request.body)  # whole, wrapped by the Static
            lines.append(self.t("client_home.request_row", id=request.id,
                                date=self.day(from_iso(request.created_at)), text=text) + "\n")
        self.query_one("#requests", Static).update(lines)
        self.query_one("#requests-title").display = bool(pending)
        kept = self.query_one("#requests-kept", Static)
        kept.update(self.t("withdraw_request.kept",
                           weeks=self.wardroom.services.requests.kept_weeks))
        kept.display = bool(pending)

    def show(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        now = self.wardroom.services.clock.now()
        for booking in self.bookings:
            options.add_option(Option(Text(self._describe(booking, now)), id=str(booking.id)))
        if self.bookings:
            options.highlighted = min(highlighted or 0, len(self.bookings) - 1)
        options.display = bool(self.bookings)
        self.query_one("#no-bookings").display = not self.bookings
        # Until a counsellor is matched there is no room: the screen is about the request.
        self.query_one(TopBar).retitle(self.t("client_home.title" if self.bookings
                                              else "client_home.title_waiting"))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Zimmer öffnen" is offered only when there is a room to open.
        if action == "open_selected":
            return bool(self.bookings)
        return True

    def _describe(self, booking: Booking, now) -> str:
        state = booking.state(now)
        if state is BookingState.ACTIVE:
            said = self.t("client_home.active", end=self.moment(booking.ends_at))
        elif state is BookingState.BEFORE_START:
            said = self.t("client_home.upcoming", start=self.moment(booking.starts_at))
        else:
            said = self.t("client_home.ended", deletes=self.day(booking.deletes_at))
        unread = self.unread.get(booking.id, 0)
        if unread:
            said += self.t("client_home.unread", count=unread)
        return self.t("client_home.row", counsellor=sanitize_line(booking.counsellor_username),
                      state=said)

    def action_open_selected(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.bookings:
            return
        booking = self.bookings[options.highlighted]
        if self.wardroom.services.clock.now() >= booking.starts_at:
            self.open_room(booking)

    def action_new_request(self) -> None:
        self.app.push_screen(RequestFormScreen(), self._request_filed)

    def action_withdraw_request(self) -> None:
        self.app.push_screen(WithdrawRequestScreen(), self._request_withdrawn)

    async def _request_withdrawn(self, request_id: int | None) -> None:
        if not self.is_attached:
            return
        if request_id is not None:
            self.query_one("#home-status", Static).update(
                self.t("withdraw_request.done", id=request_id))
        await self.reload()

    def action_profile(self) -> None:
        self.app.push_screen(ProfileScreen())

    async def _request_filed(self, request_id: int | None) -> None:
        if not self.is_attached:
            return  # the session is closing
        if request_id is not None:
            request = await self.wardroom.services.requests.read(
                self.wardroom.context.account, request_id)
            deleted = self.day(self.wardroom.services.requests.deleted_at(request))
            self.query_one("#home-status", Static).update(
                self.t("request_form.filed", id=request_id) + " "
                + self.t("withdraw_request.filed_until", date=deleted))
        await self.reload()
