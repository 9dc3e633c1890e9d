"""What the assistant says, in English and Dutch, and how it tells which language to use:
the conversation's texts, the deadline monitor's mails, language detection."""
