"""Skills-based routing: rules, group policies, availability, the engine that
picks an agent, and every decision kept."""
