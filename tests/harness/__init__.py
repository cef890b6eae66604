"""Real servers for integration tests; no Django here.

- certs: a throw-away CA plus good and deliberately broken server certificates
- dovecot: a private Dovecot (IMAP/POP3) per test session
- smtp: an aiosmtpd server with submission, SMTPS and plain listeners
- ports: free loopback ports

Nothing is re-exported: pytest loads tests.harness.plugin at every start-up, and importing
this package must stay cheap (no cryptography/aiosmtpd/imapclient imports).
"""
