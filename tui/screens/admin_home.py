"""The staff home: open requests, counsellors' active bookings, bookings ending soon, commands.

Who and when only, from the store's caseload service; nothing from any ward room.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.widgets import Static

from store.clock import berlin, from_iso
from store.errors import NotPermitted
from store.rooms.caseload import ENDING_SOON, caseload
from tui.screens.home import HomeScreen
from tui.widgets.admin.listing import Listing
from tui.widgets.admin.stats_chart import StatsChart
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar

# The commands the screen points to, in the order a working day needs them.
COMMANDS = ("request_list", "match", "booking_list", "booking_extend", "booking_end",
            "user_add", "user_disable", "audit")


class AdminHomeScreen(HomeScreen):
    SCREEN_NAME = "admin_home"
    ROLE_KEY = "admin_home"
    BINDINGS = [Binding("r", "refresh", "admin_home.key_refresh"),
                Binding("f7", "app.security", "security.key")]

    def _moment(self, moment: datetime) -> str:
        # As every other screen writes a moment (07.12.2026 00:37); the commands keep ISO.
        return berlin(moment).strftime(self.t("room.time_format"))

    def _admin_command(self) -> str:
        context = self.wardroom.context
        assert context.account is not None
        return context.ssh_command(context.account.username, "admin")

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("admin_home.title"), self.who())
        with VerticalScroll(id="admin-body"):
            yield Static(self.t("admin_home.intro"), classes="paragraph", markup=False)
            yield Static("", id="admin-requests-heading", classes="admin-heading", markup=False)
            yield Listing(id="admin-requests", classes="admin-listing")
            yield Static(self.t("admin_home.counsellors_heading"), classes="admin-heading",
                         markup=False)
            yield Listing(id="admin-counsellors", classes="admin-listing")
            yield Static("", id="admin-ending-heading", classes="admin-heading", markup=False)
            yield Listing(id="admin-ending", classes="admin-listing")
            with Container(id="admin-stats"):
                yield StatsChart()
            yield Static(self.t("admin_home.commands_heading", command=self._admin_command()),
                         classes="admin-heading", markup=False)
            yield Listing(id="admin-commands", classes="admin-listing")
        yield KeyFooter()

    async def on_mount(self) -> None:
        t = self.t
        self.query_one("#admin-commands", Listing).show(
            ["", ""], [[t(f"admin_home.command_syntax.{key}"), t(f"admin_home.command_help.{key}")]
                       for key in COMMANDS], wrap_last=True)
        self.query_one("#admin-body").focus()
        await self.action_refresh()

    async def action_refresh(self) -> None:
        account = self.wardroom.context.account
        assert account is not None
        t = self.t
        try:
            load = await caseload(self.wardroom.services, account)
        except NotPermitted:
            # Staff without the scope `matching` see the screen without the caseload.
            self.query_one("#admin-requests-heading", Static).update(
                t("scopes.caseload_hidden"))
            return
        self.query_one("#admin-requests-heading", Static).update(
            t("admin_home.requests_heading", count=len(load.open_requests)))
        self.query_one("#admin-requests", Listing).show(
            [t("admin_home.column_id"), t("admin_home.column_client"),
             t("admin_home.column_filed"), t("admin_home.column_request")],
            [[r.id, r.client_username, self._moment(from_iso(r.created_at)),
              " ".join(r.body.split())] for r in load.open_requests],
            t("admin_home.none"))
        self.query_one("#admin-counsellors", Listing).show(
            [t("admin_home.column_counsellor"), t("admin_home.column_active")],
            [[c.username + (t("admin_home.disabled_mark") if c.disabled else ""),
              c.active_bookings] for c in load.counsellors],
            t("admin_home.none"))
        self.query_one("#admin-ending-heading", Static).update(
            t("admin_home.ending_heading", days=ENDING_SOON.days, count=len(load.ending_soon)))
        self.query_one("#admin-ending", Listing).show(
            [t("admin_home.column_id"), t("admin_home.column_end"),
             t("admin_home.column_client"), t("admin_home.column_counsellor")],
            [[b.id, self._moment(b.ends_at), b.client_username, b.counsellor_username]
             for b in load.ending_soon],
            t("admin_home.none"))
