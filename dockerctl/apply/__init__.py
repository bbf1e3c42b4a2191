"""Change the engine: every call retried only on transient errors, every resource labelled."""
