"""Analysis of measured data: cycler readers, DEMS, ToF-SIMS and the analyze command.

Measured records land in the same schema as simulations (:mod:`drysheet.result`).
"""

from drysheet.analysis.readers import FORMATS, detect_format, read_cycler

__all__ = ["FORMATS", "detect_format", "read_cycler"]
