"""The action server package (rasa_sdk), and the ATS store it shares with the channels."""
