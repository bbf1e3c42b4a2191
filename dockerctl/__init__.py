"""dockerctl: apply container-course settings to a real Docker engine and prove them from the kernel."""

__version__ = "0.1.0"
