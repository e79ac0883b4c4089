"""Syslog intake: RFC 5424 and RFC 3164 messages over UDP and TCP, parsed into alarms."""
