"""wardroom's data layer: the one owner of the SQLite database and the services that guard it."""
