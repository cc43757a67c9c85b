"""Widgets of the ward room screen: the history and the message box."""
