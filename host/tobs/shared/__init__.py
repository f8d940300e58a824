"""The modules the handheld and the PC share, imported from the firmware tree this package ships: the chart
(`tobs_core`), its words (`tobs_labels`), the record format (`tobs_record`) and the link protocol
(`tobs_protocol`). The very same files run on the device, where they are top-level modules in /lib; here they are
`tobs.shared.tobs_core` and so on, so that nothing of the device's lands among the PC's top-level names."""

from tobs import firmware

# This package's own folder holds only this file: its modules are found in the firmware's lib folder.
__path__.append(str(firmware.tree() / "lib"))
