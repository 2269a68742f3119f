"""Custom Rasa input channels (SMS over a Twilio-style webhook)."""
