"""Compare what was asked with what the kernel holds; pure functions, no engine, no I/O."""
