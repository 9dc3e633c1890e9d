"""The rasa_sdk actions of the help desk, and only those: the action server loads this package."""
