"""The GAP claims center: documents (storage, sniffing, intake), upload links, MMS media,
claim-status notifications and the outbox worker. docs/claims.md describes the whole."""
