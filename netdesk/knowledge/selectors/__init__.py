"""Reads of the knowledge base: article lists and pages, their history and
how often they were used."""
