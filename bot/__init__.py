"""Ally Premier Protection support assistant: everything that is not a Rasa action."""
