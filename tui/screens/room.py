"""The ward room: the history of one booking, live delivery, and the message box."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from store.accounts.roles import Role
from store.clock import berlin
from store.errors import Invalid, NotFound, NotPermitted, RoomSealed
from store.hub.hub import BookingChanged, MessagePosted, PresenceChanged, Subscription, room_topic
from store.rooms.booking import Booking
from store.rooms.rooms import MAX_MESSAGE_LENGTH, PAGE_SIZE, check_message
from store.rooms.rooms import Message as RoomMessage
from store.text import sanitize_line
from tui.compositor import CroppingCompositor
from tui.hub_events import HubEvent, deliver_to
from tui.i18n import translate_bindings
from tui.screens.base import WardroomScreen
from tui.textual_compat import set_compositor
from tui.widgets.footer import KeyFooter
from tui.widgets.room.message_box import MessageBox
from tui.widgets.room.message_log import MessageLog
from tui.widgets.top_bar import TopBar

# The counter appears once a draft gets this close to the limit.
COUNTER_FROM = MAX_MESSAGE_LENGTH - 500


class RoomScreen(WardroomScreen):
    """Dismissed with a catalog key saying why when access ends while it is open."""

    SCREEN_NAME = "room"
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("pageup", "history_up", "room.key_history", show=False, priority=True),
        Binding("pagedown", "history_down", show=False, priority=True),
    ]

    def __init__(self, booking: Booking) -> None:
        super().__init__()
        # Every message and every key repaints a few rows of this screen in every session.
        set_compositor(self, CroppingCompositor())
        self.booking = booking
        self._subscription: Subscription | None = None
        self._sending = False
        # Held while the room is open, to open the messages the hub delivers; None while the
        # session's keys hold no copy (access reset by staff and not yet given back).
        self._room_key: bytes | None = None
        # What the status line says while nothing else needs it (access given back), until
        # the next message is sent.
        self._note = ""

    @property
    def _me(self):
        account = self.wardroom.context.account
        assert account is not None
        return account

    @property
    def _keys(self):
        keys = self.wardroom.context.keys
        assert keys is not None
        return keys

    def _other_party(self) -> tuple[str, Role, int]:
        if self._me.id == self.booking.client_id:
            return self.booking.counsellor_username, Role.COUNSELLOR, self.booking.counsellor_id
        return self.booking.client_username, Role.CLIENT, self.booking.client_id

    def compose(self) -> ComposeResult:
        name, _role, _id = self._other_party()
        yield TopBar(self.t("room.title", name=sanitize_line(name)),
                     sanitize_line(self._me.username))
        yield Static("", id="room-presence", markup=False)
        yield Static("", id="room-empty", markup=False)
        yield MessageLog(self._header, self._me.username, id="room-log")
        with Horizontal(id="room-hints"):
            yield Static("", id="room-status", markup=False)
            yield Static("", id="room-counter", markup=False)
        box = MessageBox(MAX_MESSAGE_LENGTH, counted_from=COUNTER_FROM, id="room-box")
        # Before it is mounted: the footer draws the keys as soon as the box has the focus,
        # which may come before this screen's on_mount.
        translate_bindings(box, self.t)
        yield box
        yield KeyFooter()

    def _header(self, message: RoomMessage) -> str:
        moment = berlin(message.sent_at).strftime(self.t("room.time_format"))
        if message.sender_username == self._me.username:
            return self.t("room.header_own", time=moment)
        return self.t("room.header", time=moment, role=self.t(f"role.{message.sender_role}"),
                      name=message.sender_username)

    async def on_mount(self) -> None:
        services = self.wardroom.services
        self._subscription = deliver_to(self, services.hub, room_topic(self.booking.id))
        services.presence.enter(self.booking.id, self._me)
        try:
            self._room_key = await services.rooms.room_key(self._me, self.booking.id,
                                                           self._keys)
            await self._load_history()
        except NotFound:
            self._leave("room.gone")
            return
        except RoomSealed:
            pass
        self._show_presence()
        self._apply_state()
        self.query_one(MessageBox).focus()
        if self._room_key is None:
            await self._explain_sealed()
        else:
            await self._offer_access()

    async def _explain_sealed(self) -> None:
        """Why this person sees no text here, and the two ways back."""
        name, _role, _id = self._other_party()
        reset_on = await self.wardroom.services.account_keys.reset_on(self._me.id)
        if reset_on is not None:
            self._status(self.t("room_sealed.self_reset", name=sanitize_line(name),
                                date=reset_on.strftime(self.t("room.date_format"))))
        else:
            self._status(self.t("room_sealed.self", name=sanitize_line(name)))

    async def _offer_access(self) -> None:
        """The other participant's access was reset by staff: ask whether they may read this
        room again (nothing is resealed without a yes); a first key pair simply gets it."""
        from tui.screens.access_confirm import AccessConfirmScreen

        rooms = self.wardroom.services.rooms
        pending = await rooms.pending_access(self._me, self.booking.id, self._keys)
        if pending is None:
            return
        if pending.reset_on is None:
            await rooms.give_access(self._me, self.booking.id, self._keys, pending.account_id)
            return

        async def answered(allow: bool | None) -> None:
            if allow and await rooms.give_access(self._me, self.booking.id, self._keys,
                                                 pending.account_id):
                self._note = self.t("access.given", name=sanitize_line(pending.username))
                self._status(self._note)

        self.app.push_screen(AccessConfirmScreen(pending), answered)

    def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
            self.wardroom.services.presence.leave(self.booking.id, self._me)
            self.wardroom.services.rooms.left_room()

    # -- what the hub delivers ----------------------------------------------------------------
    @on(HubEvent)
    async def _delivered(self, delivered: HubEvent) -> None:
        event = delivered.event
        if isinstance(event, MessagePosted):
            if self._room_key is None:
                return
            self.query_one(MessageLog).append(event.message.open(self._room_key))
            self._show_empty_hint()
            await self._mark_read()
        elif isinstance(event, PresenceChanged):
            self._show_presence()
        elif isinstance(event, BookingChanged):
            await self._recheck()

    async def _recheck(self) -> None:
        """The booking changed (ended, extended, access given back): ask the store again what
        this person may do."""
        rooms = self.wardroom.services.rooms
        try:
            self.booking = await rooms.open(self._me, self.booking.id)
            if self._room_key is None:
                # The other participant may just have given this person's access back.
                self._room_key = await rooms.room_key(self._me, self.booking.id, self._keys)
                await self._load_history()
                self._status("")
        except NotFound:
            # A counsellor loses access at the end; a client only when the room is deleted.
            self._leave("room.access_ended" if self._me.role is Role.COUNSELLOR else "room.gone")
            return
        except RoomSealed:
            pass
        self._apply_state()

    async def _load_history(self) -> None:
        page = await self.wardroom.services.rooms.history(self._me, self.booking.id, self._keys)
        log = self.query_one(MessageLog)
        log.has_older = len(page) == PAGE_SIZE
        for message in page:
            log.append(message)
        await self._mark_read()

    def _leave(self, reason_key: str) -> None:
        if not self.is_attached:
            return
        self.wardroom.close_screen(self, reason_key)

    def _apply_state(self) -> None:
        box = self.query_one(MessageBox)
        writable = (self._room_key is not None
                    and self.wardroom.services.rooms.writable(self._me, self.booking))
        box.read_only = not writable
        box.disabled = not writable
        box.placeholder = self.t("room.placeholder") if writable else ""
        self._show_empty_hint()
        if self._room_key is None:
            return  # the status line says why the room is closed and the ways back
        if not writable:
            deletes = berlin(self.booking.deletes_at).strftime(self.t("room.date_format"))
            self._status(self.t("room.read_only", date=deletes))
        elif not self._sending:
            self._status(self._note)

    def _show_empty_hint(self) -> None:
        """In a room without messages, say what to do (or, once ended, that none were
        written); hidden with the first message."""
        hint = self.query_one("#room-empty", Static)
        # A sealed room may hold messages this session cannot open: its status line speaks.
        empty = self._room_key is not None and not self.query_one(MessageLog).message_count
        if empty:
            ended = self.query_one(MessageBox).read_only
            hint.update(self.t("room.no_messages_ended" if ended else "room.no_messages"))
        if hint.display != empty:
            hint.display = empty

    def _show_presence(self) -> None:
        name, role, account_id = self._other_party()
        here = self.wardroom.services.presence.is_here(self.booking.id, account_id)
        key = "room.present" if here else "room.absent"
        self.query_one("#room-presence", Static).update(
            Text(self.t(key, name=sanitize_line(name), role=self.t(f"role.{role.value}"))))
        self.query_one("#room-presence").set_class(here, "-here")

    async def _mark_read(self) -> None:
        last = self.query_one(MessageLog).last_id
        if last is not None:
            try:
                await self.wardroom.services.rooms.mark_read(self._me, self.booking.id, last)
            except NotFound:
                self._leave("room.access_ended")

    # -- writing ------------------------------------------------------------------------------
    @on(MessageBox.Send)
    async def _send(self, event: MessageBox.Send) -> None:
        event.stop()  # handled: the app would only dispatch it once more
        if self._sending:
            return
        try:
            check_message(event.text)
        except Invalid as refused:
            self._refuse(str(refused), len(event.text))
            return
        box = self.query_one(MessageBox)
        # No "sending…" line: the draft staying in the box until the commit says it, and one
        # repaint fewer per message counts with many sessions.
        self._sending = True
        try:
            message = await self.wardroom.services.rooms.post(self._me, self.booking.id,
                                                               event.text, self._keys)
        except (NotPermitted, RoomSealed):
            await self._recheck()
            return
        except NotFound:
            self._leave("room.access_ended")
            return
        finally:
            self._sending = False
        # Only now, with the message committed, does it show as sent and the draft go;
        # whatever was typed while it was on its way stays in the box.
        self.query_one(MessageLog).append(message)
        self._show_empty_hint()
        box.load_text(box.text.removeprefix(event.text))
        self._note = ""
        self._status("")

    def _refuse(self, reason: str, length: int) -> None:
        key = "room.too_long" if reason == "too_long" else "room.empty"
        self._status(self.t(key, length=length, max=MAX_MESSAGE_LENGTH))

    @on(MessageBox.PasteRefused)
    def _paste_refused(self, event: MessageBox.PasteRefused) -> None:
        self._status(self.t("room.paste_too_long", pasted=event.pasted, max=MAX_MESSAGE_LENGTH))

    @on(MessageBox.LengthChanged)
    def _count(self, event: MessageBox.LengthChanged) -> None:
        length = event.length
        self._hint("#room-counter", self.t("room.counter", length=length, max=MAX_MESSAGE_LENGTH)
                   if length >= COUNTER_FROM else "")
        self.query_one("#room-counter").set_class(length > MAX_MESSAGE_LENGTH, "-over")

    def _status(self, text: str) -> None:
        self._hint("#room-status", text)

    def _hint(self, selector: str, text: str) -> None:
        # Updated only when the text changes: each update lays out the whole screen again,
        # and the box changes with every key and every message sent.
        line = self.query_one(selector, Static)
        if line.content != text:
            line.update(text)

    # -- history --------------------------------------------------------------------------
    @on(MessageLog.NeedOlder)
    async def _older(self, event: MessageLog.NeedOlder) -> None:
        try:
            page = await self.wardroom.services.rooms.history(self._me, self.booking.id,
                                                              self._keys,
                                                              before_id=event.before_id)
        except (NotFound, RoomSealed):
            self._leave("room.access_ended")
            return
        self.query_one(MessageLog).prepend(page, has_more=len(page) == PAGE_SIZE)

    def action_history_up(self) -> None:
        self.query_one(MessageLog).scroll_page_up(animate=False)

    def action_history_down(self) -> None:
        self.query_one(MessageLog).scroll_page_down(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)
