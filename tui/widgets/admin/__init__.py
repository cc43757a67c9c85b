"""Widgets of the staff screens."""
