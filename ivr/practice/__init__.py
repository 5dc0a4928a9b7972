"""The practice phones: the terminal phone and test driver, and the phone page in a browser."""
