"""What the client's and the counsellor's home share: their bookings, kept live through the hub."""

from __future__ import annotations

from textual import on
from textual.widgets import Static

from store.clock import berlin
from store.hub.hub import BookingChanged, MessagePosted, Subscription, account_topic
from store.rooms.booking import Booking
from tui.hub_events import HubEvent, deliver_to
from tui.screens.home import HomeScreen
from tui.screens.room import RoomScreen


class BookingsHome(HomeScreen):
    """Subclasses draw `self.bookings` and `self.unread` in `show()`; never any message text."""

    def __init__(self) -> None:
        super().__init__()
        self.bookings: list[Booking] = []
        self.unread: dict[int, int] = {}
        self._subscription: Subscription | None = None
        self._open_room: int | None = None
        self._username = ""  # whose home this is, for the hub's filter (see _changes_this_screen)

    async def on_mount(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        self._username = account.username
        self._subscription = deliver_to(self, self.wardroom.services.hub,
                                        account_topic(account.id), self._changes_this_screen)
        await self.reload()

    def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    async def reload(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        services = self.wardroom.services
        self.bookings = await services.bookings.for_actor(account)
        self.unread = await services.rooms.unread_counts(account)
        self.show()

    def show(self) -> None:
        raise NotImplementedError

    def moment(self, value) -> str:
        return berlin(value).strftime(self.t("room.time_format"))

    def day(self, value) -> str:
        return berlin(value).strftime(self.t("room.date_format"))

    def _changes_this_screen(self, event: object) -> bool:
        # Messages in the room open over this screen, and one's own, count nowhere here; and
        # in a busy room they would otherwise keep this covered screen busy with each one.
        # This runs inside the sender's publish(), where self.app is the sender's session: it
        # decides only from what this screen kept itself.
        if isinstance(event, MessagePosted):
            return (event.booking_id != self._open_room
                    and event.message.sender_username != self._username)
        return True

    @on(HubEvent)
    async def _delivered(self, delivered: HubEvent) -> None:
        event = delivered.event
        if isinstance(event, MessagePosted):
            self.unread[event.booking_id] = self.unread.get(event.booking_id, 0) + 1
            self.app.bell()
            self.show()
        elif isinstance(event, BookingChanged):
            await self.reload()

    def open_room(self, booking: Booking) -> None:
        self._open_room = booking.id
        self.app.push_screen(RoomScreen(booking), self._room_closed)

    async def _room_closed(self, reason_key: str | None) -> None:
        self._open_room = None
        if not self.is_attached:
            return  # the session is closing
        self.query_one("#home-status", Static).update(self.t(reason_key) if reason_key else "")
        await self.reload()
