"""Channels: how customers reach the desk and how the desk answers them
(mailboxes, inbound and outbound mail, message templates, notices)."""
