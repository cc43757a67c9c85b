"""The recipients file: only recipients, safe from other users, filled in by keygen."""

from __future__ import annotations

import pytest

from store.backup.key import KeyFileError, add_recipient, generate_identity, load_recipients
from tests.conftest import START


def test_an_empty_file_is_refused_until_a_recipient_is_added(tmp_path, tmp_path_factory):
    """As an operator would prepare it: `install -m 0600 /dev/null backup.recipients`."""
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    key_file.write_text("# the backup recipients\n")
    key_file.chmod(0o600)
    with pytest.raises(KeyFileError, match="names no recipient"):
        load_recipients(key_file)

    recipient = generate_identity().recipient
    add_recipient(key_file, recipient, tmp_path / "wardroom.db", (), START)

    assert load_recipients(key_file).keys == (recipient,)
    assert key_file.read_text().startswith("# the backup recipients\n")


def test_a_recipient_added_after_a_last_line_without_newline_leaves_both_whole(
        tmp_path, tmp_path_factory):
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    first, second = generate_identity().recipient, generate_identity().recipient
    key_file.write_text(first)  # edited by hand, no newline at the end
    key_file.chmod(0o600)

    add_recipient(key_file, second, tmp_path / "wardroom.db", (), START)

    assert load_recipients(key_file).keys == (first, second)
