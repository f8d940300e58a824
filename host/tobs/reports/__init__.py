"""Reports from the register: Anhøj run chart rules, the quality measures and their charts, the static report."""
