"""Importers of the network inventory: CSV files (`csv_inventory`),
GraphML topologies (`graphml`); NetBox lives in the integrations app. Each
reads its source into rows and hands them to the services that write them
(`netdesk.network.services`; `netdesk.customers.services` for customers'
services). What an import did is collected in `netdesk.network.import_report`."""
