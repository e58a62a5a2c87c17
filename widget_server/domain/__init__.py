"""Domain rules and storage models: no web framework, no transport."""
