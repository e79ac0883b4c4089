"""NetDesk: the service desk for network operators."""

__version__ = "0.1.0"
