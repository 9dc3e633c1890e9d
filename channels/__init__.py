"""How people reach the bot: each module is a Rasa InputChannel registered in credentials.yml."""
