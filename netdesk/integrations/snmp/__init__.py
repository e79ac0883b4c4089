"""SNMP trap intake: v1, v2c and v3 notifications, mapped onto alarms."""
