"""Writes for network operations: alarm intake, incidents and their impact,
the liaison with customer service."""
