"""Exec commands, one module per group; importing this package registers them."""
