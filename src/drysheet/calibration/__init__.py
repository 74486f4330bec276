"""Calibration: re-runnable fits that produce drysheet's calibrated constants."""
