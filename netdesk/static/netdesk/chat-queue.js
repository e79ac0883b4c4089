// Chat queue notice: filled in by the chat app.
