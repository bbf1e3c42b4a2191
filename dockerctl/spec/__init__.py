"""Parse and validate what the user asked for: units, container specs, the field table."""
