"""Widgets of the privacy notice and the consent gate."""
