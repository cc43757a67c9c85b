"""Both languages, every screen: the catalogs match, and each screen renders at 80×24 with no
raw catalog key, no unfilled placeholder and no text cut off where nobody can scroll to it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

import tui.screens
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.rooms.booking import Booking
from store.services import Services
from tests.conftest import PASSWORD
from tests.sealed import keys_of, post_as
from tui.app import WardroomApp
from tui.context import SessionContext
from tui.i18n import LANGUAGES, catalog
from tui.screens.base import WardroomScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.top_bar import TopBar

SIZE = (80, 24)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_files_keys_and_placeholders():
    files = {lang: sorted(e.name for e in resources.files("tui").joinpath("locales", lang)
                          .iterdir() if e.name.endswith(".toml")) for lang in LANGUAGES}
    assert files["de"] == files["en"]
    german, english = catalog("de"), catalog("en")
    assert sorted(set(german) ^ set(english)) == []
    for key, text in german.items():
        assert _placeholders(text) == _placeholders(english[key]), key
        assert text.strip() and english[key].strip(), key


# -- every screen, both languages ------------------------------------------------------------

@dataclass
class World:
    """A small service with one of everything a screen may need to show."""

    services: Services
    client: Account  # with an active booking and a message
    newcomer: Account  # a client with no booking yet
    counsellor: Account
    admin: Account
    booking: Booking


async def _world(services: Services, language: str) -> World:
    async def account(name: str, role: Role) -> Account:
        made = await services.accounts.create(name, role, PASSWORD, language=language)
        await services.policy.accept(made, await services.policy.current())
        return made

    admin = await account("office", Role.ADMIN)
    client = await account("carla", Role.CLIENT)
    newcomer = await account("cleo", Role.CLIENT)
    counsellor = await account("conrad", Role.COUNSELLOR)
    booking = await services.bookings.create(admin, "carla", "conrad", weeks=4)
    await post_as(services, client, booking.id, "Guten Morgen, wie geht es weiter?")
    await services.requests.file(newcomer, "Ich suche Begleitung nach der Reha.")
    return World(services, client, newcomer, counsellor, admin, booking)


Factory = Callable[[World, WardroomApp], Awaitable[Screen[Any]]]


async def _no_args(screen: type[WardroomScreen]) -> Screen[Any]:
    return screen()


def _scenarios() -> dict[str, tuple[str, Factory]]:
    """screen name → (who is logged in, how to build the screen). Who: an attribute of World,
    or "visitor" for registration. Screens that take no arguments need no entry."""
    from tui.screens.consent import ConsentScreen
    from tui.screens.help import HelpScreen
    from tui.screens.password_change import PasswordChangeScreen
    from tui.screens.recovery import RecoveryScreen
    from tui.screens.recovery_code import RecoveryCodeScreen
    from tui.screens.register_notice import RegisterNoticeScreen
    from tui.screens.room import RoomScreen

    async def current(world: World):
        return await world.services.policy.current()

    async def consent(world: World, app: WardroomApp) -> Screen[Any]:
        return ConsentScreen(await current(world))

    async def register_notice(world: World, app: WardroomApp) -> Screen[Any]:
        return RegisterNoticeScreen(await current(world))

    async def room(world: World, app: WardroomApp) -> Screen[Any]:
        return RoomScreen(await world.services.rooms.open(world.client, world.booking.id))

    async def forced_password(world: World, app: WardroomApp) -> Screen[Any]:
        return PasswordChangeScreen(forced=True)

    async def help_on_home(world: World, app: WardroomApp) -> Screen[Any]:
        return HelpScreen.about(app.screen)

    async def recovery_code(world: World, app: WardroomApp) -> Screen[Any]:
        return RecoveryCodeScreen("k7mq-2xhp-9tvb-c4nd-wz3e-pa6r", gate=False)

    async def recovery(world: World, app: WardroomApp) -> Screen[Any]:
        return RecoveryScreen(gate=False, reset_on=world.booking.starts_at.date())

    return {
        "consent": ("client", consent),
        "help": ("newcomer", help_on_home),
        "register_notice": ("visitor", register_notice),
        "room": ("client", room),
        "password_change": ("newcomer", forced_password),
        "recovery_code": ("newcomer", recovery_code),
        "recovery": ("newcomer", recovery),
    }


_ROLE_OF_SCREEN = {"admin_home": "admin", "counsellor_home": "counsellor",
                   "client_home": "newcomer", "register": "visitor", "totp_setup": "admin"}


def _all_screens() -> dict[str, type[WardroomScreen]]:
    for info in pkgutil.iter_modules(tui.screens.__path__):
        importlib.import_module(f"tui.screens.{info.name}")
    found: dict[str, type[WardroomScreen]] = {}
    pending = [WardroomScreen]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "SCREEN_NAME" in cls.__dict__ and cls is not WardroomScreen:
            found[cls.SCREEN_NAME] = cls
    return found


def _screen_text(app: WardroomApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _key_leaks(lines: list[str], sections: set[str]) -> list[str]:
    text = "\n".join(lines)
    keys = [m.group(0) for m in re.finditer(r"\b([a-z][a-z0-9_]*)(\.[A-Za-z0-9_]+)+\b", text)
            if m.group(1) in sections]
    return keys + re.findall(r"\{[a-z_]+\}", text)


def _scrolls(widget: Widget) -> bool:
    return any(isinstance(node, ScrollableContainer) or node.allow_vertical_scroll
               for node in widget.ancestors_with_self if isinstance(node, Widget))


def _cut_off(app: WardroomApp) -> list[str]:
    """Text a reader cannot see in full and cannot scroll to."""
    screen = app.screen
    problems = []
    top = screen.query(TopBar)
    if top and _screen_text(app)[0].rstrip().endswith("…"):
        problems.append("top bar title cut")
    footer = screen.query_one(KeyFooter)  # keys that do not fit continue on a second row
    footer_line = " ".join(_screen_text(app)[footer.region.y:footer.region.bottom])
    for binding in (b.binding for b in screen.active_bindings.values()):
        if binding.show and binding.description and binding.description not in footer_line:
            problems.append(f"footer lacks {binding.description!r}")
    for widget in screen.query(Static):
        if not widget.display or not widget.visible or _scrolls(widget):
            continue
        if isinstance(widget, KeyFooter) or not str(widget.render()).strip():
            continue
        geometry = screen._compositor.find_widget(widget)
        seen = geometry.region.intersection(geometry.clip)
        if seen != geometry.region or geometry.region.height == 0:
            problems.append(f"{widget!r} clipped: {geometry.region} seen {seen}")
            continue
        needed = widget.get_content_height(widget.content_region.size, screen.size,
                                           widget.content_region.width)
        if needed > widget.content_region.height:
            problems.append(f"{widget!r} needs {needed} lines, has "
                            f"{widget.content_region.height}")
    return problems


class _NoTerminal:
    """run_test draws headless; the channel side of the app is never used."""

    size = SIZE

    def write(self, data: bytes) -> None:
        raise AssertionError("headless apps write nowhere")

    def attach(self, driver: object) -> None:
        raise AssertionError("headless apps attach no channel")


def _cases() -> list[tuple[str, str]]:
    return [(lang, name) for lang in LANGUAGES for name in sorted(_all_screens())]


@pytest.mark.parametrize(("language", "screen_name"), _cases())
async def test_screen_renders_in_both_languages(services, clock, language, screen_name,
                                                monkeypatch):
    # Every set of keys the footer takes, from its first: a key described by its catalog key
    # (bindings translated after the footer drew them) would stay on screen.
    footer_keys: list[str] = []
    real_bindings_changed = KeyFooter.bindings_changed

    def recording(footer: KeyFooter, screen: Screen[Any]) -> None:
        real_bindings_changed(footer, screen)
        footer_keys.extend(key.description for key in footer._keys)

    monkeypatch.setattr(KeyFooter, "bindings_changed", recording)
    world = await _world(services, language)
    screen_class = _all_screens()[screen_name]
    who, factory = _scenarios().get(
        screen_name, (_ROLE_OF_SCREEN.get(screen_name, "client"), None))
    if factory is None:
        assert not [p for p in inspect.signature(screen_class).parameters.values()
                    if p.default is inspect.Parameter.empty], (
            f"{screen_name} needs arguments: add a scenario for it in this test")
    account = None if who == "visitor" else getattr(world, who)
    keys = None if account is None else await keys_of(services, account)
    context = SessionContext(services=services, account=account, keys=keys,
                             language_hint=language, claim_registration=lambda: True)
    app = WardroomApp(context, port=_NoTerminal())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = await factory(world, app) if factory else screen_class()
        if not isinstance(app.screen, screen_class):
            await app.push_screen(screen)
        for _ in range(5):  # screens that load data on mount need a few turns
            await pilot.pause()
        assert isinstance(app.screen, screen_class)
        assert app.t.language == language
        lines = _screen_text(app)
        sections = {key.split(".")[0] for key in catalog(language)}
        assert _key_leaks(lines, sections) == [], "\n".join(lines)
        assert _cut_off(app) == [], "\n".join(lines)
        assert _key_leaks(footer_keys, sections) == [], footer_keys
