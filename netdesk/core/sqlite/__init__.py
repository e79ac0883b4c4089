"""NetDesk's SQLite database backend: Django's, with the writers of one
process taking turns on a lock of their own (`netdesk.core.sqlite.base`)."""
