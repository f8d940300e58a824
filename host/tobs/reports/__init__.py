"""Reports from the register: Anhøj's run chart rules, the guidance band of each set, the quality measures and
their SVG charts. Computation only: the pages that show them are in tobs.web."""
