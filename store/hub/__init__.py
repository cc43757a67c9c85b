"""Live events between sessions and worker processes, and who is in which room."""
