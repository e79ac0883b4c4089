"""Importers of the network inventory: CSV files (`csv_inventory`),
GraphML topologies (`graphml`); NetBox lives in the integrations app. Each
reads its source into rows and hands them to `netdesk.network.services`."""
