"""The staff site and its JSON API: call backs, calls, the flow."""
