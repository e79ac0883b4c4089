"""The customer portal: subscribers sign in by a one-time link, see their
services and the network status on each, open and follow tickets."""
