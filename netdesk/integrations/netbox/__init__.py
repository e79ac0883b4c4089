"""NetBox as a source of the network inventory: a read-only REST client
(`client`), how NetBox objects map onto NetDesk's (`mapping`), and the
import that ties them together (`importer`)."""
