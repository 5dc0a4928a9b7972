"""Prompts as audio: rendered offline with pyttsx3, kept in a library, served to Twilio."""
