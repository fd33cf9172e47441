"""Windows, pages, delegates and dialogs."""
