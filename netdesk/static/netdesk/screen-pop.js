// Screen pop: filled in by the phone app.
