"""The reference study: its experiments, observables, figures and report."""
