"""What callers hear, as data: flows, prompts, services and hours loaded from YAML, checked
and frozen.

No web, database or Twilio code here: everything else reads this."""
