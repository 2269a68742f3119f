"""Reading each message in its conversation (identity answers, other languages,
several questions) before the dialogue acts on it. Runs in the Rasa server
(bot/rasa_server/understanding.py); not part of the trained model."""
