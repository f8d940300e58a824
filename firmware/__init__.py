# This folder is the handheld's firmware. The PC tool ships it inside its own package (as tobs._firmware, found with
# importlib.resources) so that `tobs sim` and `tobs deploy` work from an installed wheel, not only from a checkout.
# The handheld never imports this file and a deploy does not copy it.
