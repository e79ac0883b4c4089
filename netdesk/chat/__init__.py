"""Web chat: the widget on the operator's site, the queue, the agents'
chat console, and the transcript as a call report on a ticket."""
