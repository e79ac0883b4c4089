"""Writes for routing: rules, group settings, availability, and routing tickets."""
