"""Rasa-server plumbing: safe channels, failure watch, metrics, logging, action server."""
