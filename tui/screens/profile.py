"""The client's profile: how long ended rooms are kept, the language, and erasure (the
objection the client sees)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup, VerticalScroll
from textual.widgets import Button, RadioSet, Static

from store.clock import berlin
from store.deletion.choice import RoomFate
from store.deletion.windows import DEFAULT_WINDOW, RetentionWindow
from store.text import sanitize_line
from tui.i18n import LANGUAGES, Translator
from tui.screens.base import WardroomScreen
from tui.screens.erasure import ErasureScreen
from tui.widgets.choice import Choice
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar

WINDOWS = list(RetentionWindow)


class ProfileScreen(WardroomScreen):
    SCREEN_NAME = "profile"
    BINDINGS = [Binding("escape", "back", "key.back"),
                Binding("f6", "second_factor", "totp.profile_key"),
                Binding("f7", "app.security", "security.key")]

    def __init__(self) -> None:
        super().__init__()
        self._current: RetentionWindow | None = None
        self._fates: list[RoomFate] = []

    def compose(self) -> ComposeResult:
        account = self.wardroom.context.account
        assert account is not None
        yield TopBar(self.t("profile.title"), account.username)
        with VerticalScroll(id="profile-body"):
            yield Static(self.t("profile.retention.heading"), classes="profile-heading",
                         markup=False)
            yield Static(self.t("profile.retention.intro"), classes="paragraph", markup=False)
            yield RadioSet(*(Choice(Text(self.t(f"profile.retention.days_{int(w)}")))
                             for w in WINDOWS), id="retention")
            yield Static("", id="retention-consequence", markup=False)
            # The result beside the button just pressed, where the eye is. The button is never
            # disabled: a disabled one drops out of the Tab order, and Tab then led people
            # who meant to save onto the erasure button.
            with HorizontalGroup(classes="profile-save"):
                yield Button(Text(self.t("profile.retention.save")), id="save-retention")
                yield Static("", id="retention-status", classes="profile-status",
                             markup=False)

            yield Static(self.t("profile.language.heading"), classes="profile-heading",
                         markup=False)
            yield Static(self.t("profile.language.intro"), classes="paragraph", markup=False)
            yield RadioSet(*(Choice(Text(self.t(f"profile.language.{code}")),
                                    value=code == account.language)
                             for code in LANGUAGES), id="language")
            with HorizontalGroup(classes="profile-save"):
                yield Button(Text(self.t("profile.language.save")), id="save-language")
                yield Static("", id="language-status", classes="profile-status",
                             markup=False)

            yield Static(self.t("profile.erasure.heading"), classes="profile-heading",
                         markup=False)
            yield Static(self.t("profile.erasure.intro"), classes="paragraph", markup=False)
            yield Button(Text(self.t("profile.erasure.open")), id="erasure", variant="error")
        yield KeyFooter()

    async def on_mount(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        self._current = await self.wardroom.services.retention.current(account)
        retention = self.query_one("#retention", RadioSet)
        buttons = list(retention.query(Choice))
        buttons[WINDOWS.index(self._current)].value = True
        retention.focus()
        await self._show_consequence(self._current)

    def _selected_window(self) -> RetentionWindow:
        index = self.query_one("#retention", RadioSet).pressed_index
        return WINDOWS[index] if index >= 0 else DEFAULT_WINDOW

    async def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id == "retention":
            await self._show_consequence(WINDOWS[event.index])

    async def _show_consequence(self, window: RetentionWindow) -> None:
        """The consequence in plain words, before anything is saved."""
        account = self.wardroom.context.account
        assert account is not None
        self._fates = await self.wardroom.services.retention.consequences(account, window)
        lines = [self.t("profile.retention.rule", days=int(window))]
        for fate in self._fates:
            values = {"counsellor": sanitize_line(fate.counsellor_username),
                      "ended": self._day(fate.ended), "date": self._day(fate.deletes_at)}
            key = "room_now" if fate.at_once else "room_on"
            lines.append(self.t(f"profile.retention.{key}", **values))
        if not self._fates:
            lines.append(self.t("profile.retention.no_rooms"))
        unchanged = window == self._current
        if unchanged:
            lines.append(self.t("profile.retention.unchanged"))
        self.query_one("#retention-consequence", Static).update("\n".join(lines))
        at_once = sum(f.at_once for f in self._fates)
        save = self.query_one("#save-retention", Button)
        save.label = Text(self.t("profile.retention.save_and_delete", count=at_once) if at_once
                          else self.t("profile.retention.save"))
        save.refresh(layout=True)  # the label's width changed
        self._say("#retention-status", "")

    def _day(self, moment: datetime) -> str:
        return berlin(moment).strftime(self.t("profile.date_format"))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-retention":
            await self._save_retention()
        elif event.button.id == "save-language":
            await self._save_language()
        elif event.button.id == "erasure":
            self.app.push_screen(ErasureScreen())

    async def _save_retention(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        window = self._selected_window()
        if window == self._current:
            self._say("#retention-status", self.t("profile.retention.unchanged"))
            return
        await self.wardroom.services.retention.choose(account, window)
        self._current = window
        await self._show_consequence(window)
        self._say("#retention-status", self.t("profile.retention.saved", days=int(window)))

    async def _save_language(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        index = self.query_one("#language", RadioSet).pressed_index
        language = LANGUAGES[max(index, 0)]
        services = self.wardroom.services
        await services.accounts.set_language(account.id, language)
        self.wardroom.context.account = await services.accounts.get(account.id)
        # Screens opened from now on speak the new language; this one and the footer's
        # global keys keep theirs until the next login.
        self.wardroom.t = Translator(language)
        self._say("#language-status", self.t("profile.language.saved"))

    def _say(self, selector: str, text: str) -> None:
        status = self.query_one(selector, Static)
        status.update(text)
        if text:
            # The button and its answer in view together, also at 80×24.
            self.call_after_refresh(status.parent.scroll_visible, animate=False)

    def action_back(self) -> None:
        self.dismiss()

    def action_second_factor(self) -> None:
        from tui.screens.totp_setup import TotpSetupScreen

        self.app.push_screen(TotpSetupScreen())

