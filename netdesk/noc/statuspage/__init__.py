"""The public status page: per area, what customers may know about
incidents and planned maintenance, as HTML and as Statuspage-compatible JSON."""
