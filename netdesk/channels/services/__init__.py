"""Writes for the channels: taking mail in, queueing and delivering what the
desk sends, templates, mailboxes and incident notices."""
