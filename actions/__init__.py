"""rasa-sdk custom actions: thin adapters from slots to bot/ and back to responses."""
