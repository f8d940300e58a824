"""Exchange with other sectors: MedCom HomeCareObservation messages to the GP (with their outbox and
acknowledgements), plain FHIR R4 vital-signs exports, structural validation, and the check of a total that another
system stated. Sits beside ops: it reads the register and writes files; the commands are in tobs.cli.fhir."""
