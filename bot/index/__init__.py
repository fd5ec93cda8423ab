"""The built index on disk; its modules are listed as they move here."""
