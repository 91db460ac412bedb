//! Inbound verification: the merchant as SNAP server.
