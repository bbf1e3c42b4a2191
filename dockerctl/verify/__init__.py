"""Compare what was asked with what the kernel holds; pure functions, no engine, no I/O. Among them the
`Detector` and findings every network model's verdicts use (netmodels.py); each model's own verdicts
are in its folder (netmodels/<m>/verdicts.py)."""
