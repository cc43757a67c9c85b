"""The account's own SSH public keys: added by pasting the key line, removed from the list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from store.errors import Invalid, NotFound
from tui.screens.base import WardroomScreen
from tui.widgets.fields import Field
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar


class PublicKeysScreen(WardroomScreen):
    SCREEN_NAME = "public_keys"
    BINDINGS = [Binding("escape", "back", "key.back"),
                Binding("delete", "remove", "keys.remove_key")]

    def compose(self) -> ComposeResult:
        account = self.wardroom.context.account
        assert account is not None
        yield TopBar(self.t("keys.title"), account.username)
        with Vertical(id="form"):
            yield Static(self.t("keys.intro"), classes="paragraph", markup=False)
            yield OptionList(id="key-list")
            yield Label(self.t("keys.add_label"))
            yield Field(id="key-line", max_length=16_384)
            yield Static("", id="status", markup=False)
        yield KeyFooter()

    async def on_mount(self) -> None:
        await self._reload()
        self.query_one("#key-line", Input).focus()

    async def _reload(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        keys = await self.wardroom.services.public_keys.own(account)
        listing = self.query_one("#key-list", OptionList)
        listing.clear_options()
        if keys:
            listing.add_options([Option(self.t("keys.row", type=k.key_type,
                                               fingerprint=k.fingerprint), id=str(k.id))
                                 for k in keys])
        else:
            listing.add_option(Option(self.t("keys.none"), disabled=True))

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        account = self.wardroom.context.account
        assert account is not None
        status = self.query_one("#status", Static)
        try:
            await self.wardroom.services.public_keys.add(account, event.value)
        except Invalid as refused:
            status.update(self.t(f"keys.{refused}"))
            return
        event.input.value = ""
        status.update(self.t("keys.added"))
        await self._reload()

    async def action_remove(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        listing = self.query_one("#key-list", OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if option.id is None:
            return
        try:
            await self.wardroom.services.public_keys.remove(account, int(option.id))
        except NotFound:
            pass
        self.query_one("#status", Static).update(self.t("keys.removed"))
        await self._reload()

    def action_back(self) -> None:
        self.dismiss()
