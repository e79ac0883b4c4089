"""The phone system (CTI): call events from the PBX, screen pop on the
answering agent's screen, the call log and callbacks, the IVR's outage
lookup."""
