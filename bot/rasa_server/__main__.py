"""`python -m bot.rasa_server ARGS` is `rasa ARGS`, started 6 s sooner.

Importing skops (the intent classifier's model format, bot/nlu/intent_classifier.py)
looks up the module of every numpy and scipy ufunc by scanning all loaded
modules for each. Rasa imports it with the model, after TensorFlow and its
own ~6,000 modules: 6 s of every server start, training run and `rasa shell`.
Imported here first, it takes under a second (measured in docs/nlu.md, "Start-up"), and
finds the same names.
"""

import sys

import skops.io  # noqa: F401  # first: see above
from rasa.__main__ import main

if __name__ == "__main__":
    sys.argv[0] = "rasa"  # Rasa's help and errors name the command
    sys.exit(main())
