"""Help inside the app: F1 (and ? outside text fields) explains the screen in front of it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tui.screens
from store.accounts.roles import Role
from store.rooms.booking import Booking
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import shown_as_sent
from tests.sealed import history_as
from tests.sshclient import connect
from tui.i18n import LANGUAGES, Translator
from tui.screens.base import WardroomScreen
from tui.screens.help import HelpScreen, help_text

F1 = "\x1bOP"


def _screen_names() -> set[str]:
    names = set()
    for module in pkgutil.iter_modules(tui.screens.__path__):
        loaded = importlib.import_module(f"tui.screens.{module.name}")
        for _name, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, WardroomScreen) and "SCREEN_NAME" in cls.__dict__:
                names.add(cls.SCREEN_NAME)
    return names - {WardroomScreen.SCREEN_NAME, HelpScreen.SCREEN_NAME}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_has_its_own_help(language):
    t = Translator(language)
    missing = sorted(name for name in _screen_names() if not t.has(f"help.screen.{name}"))
    assert not missing, f"add help.screen.<name> to tui/locales/{language}/help.toml: {missing}"


def test_a_screen_without_help_gets_the_general_fallback():
    t = Translator("en")
    assert help_text(t, "no_such_screen") == t("help.fallback")
    assert help_text(t, "room") == t("help.screen.room")


async def _booked(wardroom) -> Booking:
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    return await wardroom.services.bookings.create(office, "klara", "bernd", weeks=2)


async def test_f1_and_question_mark_explain_the_dashboard_then_esc_returns(wardroom):
    await _booked(wardroom)
    t = Translator("de")
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    try:
        await counsellor.wait_for("klara")
        for key in (F1, "?"):
            counsellor.send(key)
            screen = await counsellor.wait_for(t("help.keys_heading"))
            assert "Ihre laufenden Beratungen" in screen  # help.screen.counsellor_home
            assert "Zimmer öffnen" in screen and "Abmelden" in screen  # the screen's keys
            counsellor.send("\x1b")
            await counsellor.wait_gone(t("help.keys_heading"))
            await counsellor.wait_for("klara")
        counsellor.send(F1)
        await counsellor.wait_for(t("help.keys_heading"))
        counsellor.send(F1)  # pressed again, the help closes
        await counsellor.wait_gone(t("help.keys_heading"))
    finally:
        await counsellor.close()


async def test_in_the_message_box_question_mark_is_text_and_f1_is_help(wardroom):
    booking = await _booked(wardroom)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await client.wait_for("Stationszimmer mit bernd")
        await client.type("Wie geht es weiter?")
        client.send("\r")
        await shown_as_sent(client, "Wie geht es weiter?")  # not just typed into the box
        assert "Tasten auf diesem Bildschirm" not in client.text()
        klara = await wardroom.services.accounts.by_username("klara")
        assert [m.body for m in await history_as(wardroom.services, klara, booking.id)] == [
            "Wie geht es weiter?"]

        client.send(F1)
        screen = await client.wait_for("Tasten auf diesem Bildschirm")
        assert "Stationszimmer ist Ihr privater Gesprächsraum" in screen
        assert "Eingabe  Senden" in screen  # the message box's own key is listed too
        client.send("\x1b")
        await client.wait_for("Stationszimmer mit bernd")
    finally:
        await client.close()


async def test_footer_shows_help_and_logout_on_every_first_screen(wardroom):
    await wardroom.add_account("ada", Role.ADMIN)
    admin = await connect(wardroom.port, "ada", PASSWORD)
    try:
        screen = await admin.wait_for("Abmelden")
        footer = screen.splitlines()[-1]
        assert "F1 Hilfe" in footer and "Strg+Q Abmelden" in footer
    finally:
        await admin.close()
