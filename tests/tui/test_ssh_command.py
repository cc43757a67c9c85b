"""ssh commands on screens and in the notice name the address people really use (issue 16)."""

from __future__ import annotations

import pytest

from store.policy import shipped_notice
from tui.ssh_command import ssh_command, with_address


@pytest.mark.parametrize(("address", "command"), [
    ("beratung.example:2222", "ssh -p 2222 juergen@beratung.example export"),
    ("beratung.example:22", "ssh juergen@beratung.example export"),
    ("beratung.example", "ssh juergen@beratung.example export"),
    ("[2001:db8::1]:2316", "ssh -p 2316 juergen@2001:db8::1 export"),
])
def test_the_command_has_the_host_and_port_people_type(address, command):
    assert ssh_command(address, "juergen", "export") == command


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_notice_shows_the_export_command_with_the_real_address(language):
    shown = with_address(shipped_notice(language), "beratung.example:2222")
    assert "ssh -p 2222 NAME@beratung.example export" in shown
    assert "2222" not in shipped_notice(language) and "@HOST" not in shown
