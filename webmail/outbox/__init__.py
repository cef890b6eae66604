"""The SMTP outbox: messages queued here are delivered exactly once, or reported."""
