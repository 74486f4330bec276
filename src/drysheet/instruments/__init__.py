"""Virtual instruments: the study's conductivity measurements as raw signals.

Their outputs are what a lab instrument would record (an impedance spectrum,
a current transient); `drysheet.analysis.eis` and
`drysheet.analysis.dc_polarisation` turn them, or real files, back into
conductivities. See docs/instruments.md.
"""

from drysheet.instruments.dc_polarisation import (
    electron_blocking_transient,
    ion_blocking_transient,
)
from drysheet.instruments.eis import blocking_cell_spectrum

__all__ = ["blocking_cell_spectrum", "electron_blocking_transient", "ion_blocking_transient"]
