"""What the help desk says, in every language it speaks, and how it tells which language to use:
the message catalogue (catalogue.py, one YAML file per language in catalogue/), dates in words
(dates.py), language detection (language.py). Imports nothing from Rasa, the channels, the desk,
the monitor or the actions."""
