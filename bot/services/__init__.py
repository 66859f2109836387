"""The rules, one module per capability: functions over a session, no Flask request, no channel."""
