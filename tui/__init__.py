"""wardroom's terminal interface: one Textual app per SSH session, drawn through the channel."""
