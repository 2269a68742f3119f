"""NLU helpers: rule-based entity extraction and its Rasa component."""
