"""The solid-state half-cell model (PyBaMM) and its parameters."""
