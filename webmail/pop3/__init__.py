"""POP3 accounts: downloaded into Courriel's own store, deleted from the server by default."""
