"""The code systems and codes the exchange uses, in one place, each with where it was read (docs/exchange.md cites
the profiles). Codes are facts of the standards; the words shown with them are the standards' own displays."""

from __future__ import annotations

# ---- Systems
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
# NPU (the Danish laboratory and clinical terminology), as MedCom's HomeCareObservation examples name it.
NPU = "urn:oid:1.2.208.176.2.1"
MEDCOM_OBSERVATION = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-observation-codes"
MEDCOM_INTERPRETATION = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-interpretation-codes"
MEDCOM_EVENTS = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
MEDCOM_ACTIVITIES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
MEDCOM_DESTINATION_USE = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
MEDCOM_DESTINATION_USE_EXTENSION = (
    "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
)
MEDCOM_REPORT_CODES = "http://medcomfhir.dk/ig/terminology/CodeSystem/MedComDiagnosticReportCodes"
MEDCOM_PRODUCENT_ID = "http://medcomfhir.dk/ig/terminology/CodeSystem/MedComProducentID"
MEDCOM_PRACTITIONER_ROLES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ"
CPR = "urn:oid:1.2.208.176.1.2"
SOR = "urn:oid:1.2.208.176.1.1"
EAN = "urn:oid:1.3.88"
YDERNUMMER = "urn:oid:1.2.208.176.1.4"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
DATA_ABSENT_REASON_EXTENSION = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

# ---- MedCom HomeCareObservation (profiles of medcomdk/dk_HomeCareObservations)
PROFILE_BASE = "http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/"
PROFILE_MESSAGE = PROFILE_BASE + "medcom-homecareobservation-message"
PROFILE_HEADER = PROFILE_BASE + "medcom-homecareobservation-messageheader"
PROFILE_REPORT = PROFILE_BASE + "medcom-homecareobservation-diagnosticreport"
PROFILE_OBSERVATION = PROFILE_BASE + "medcom-homecare-observation"
PROFILE_PROVENANCE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
PROFILE_PRODUCER = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-producer-organization"
PROFILE_REQUESTER = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-requesterorganization"
PROFILE_PATIENT = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"
PROFILE_PRACTITIONER = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner"
PROFILE_PRACTITIONER_ROLE = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitionerrole"
EVENT_HOMECARE = "homecareobservation-message"
EVENT_ACKNOWLEDGEMENT = "acknowledgement-message"
MESSAGE_DEFINITION = (
    "http://medcomfhir.dk/ig/messagedefinitions/ImplementationGuide/medcom.fhir.dk.messagedefinitions/"
    "StructureDefinition/medcom-homecareobservation-messagedefinition|1.1"
)
REPORT_CODE = "HomeCareReport"

# Provenance activities. The CodeSystem medcom-messaging-activityCodes and the value set
# medcom-HomeCareObservation-messagingActivities hold "modified-message"; the HomeCareObservation guide's prose says
# "modify-message", which is in neither, so the invariant medcom-homecareObsMessage-2 would refuse it.
NEW = "new-message"
MODIFIED = "modified-message"
RETRACTED = "retract-message"
HOMECARE_ACTIVITIES = (NEW, "reply-message", RETRACTED, MODIFIED)
# Provenance.entity.role for a correction and for a cancellation (MedComMessagingProvenance).
ENTITY_ROLE = {MODIFIED: "revision", RETRACTED: "removal"}

# Interpretation fixed by MedComHomeCareObservation: not interpreted against a reference (ikke referencevurderet).
NOT_INTERPRETED = {"system": MEDCOM_INTERPRETATION, "code": "NI", "display": "Not Interpreted"}

# Each TOBS parameter in MedCom's codes (MedComObservationCodes, NPU) with its UCUM unit.
MEDCOM_CODES = {
    "pulse": (NPU, "NPU21692", "Hjerte—Systole; frekv. = ? × 1/min", "/min"),
    "resp": (MEDCOM_OBSERVATION, "MCS88122", "Pt—Respiration; frekvens = ? X 1/min", "/min"),
    "temp": (NPU, "NPU08676", "Pt—Legeme; temp. = ? °C", "Cel"),
    "sys_bp": (NPU, "DNK05472", "Arm—Blodtryk(systolisk); tryk = ? mmHg", "mm[Hg]"),
    "awareness": (MEDCOM_OBSERVATION, "MCS88126", "Pt—Bevidsthedsniveau; arb.antal(værdi 0-3) = ?", "1"),
    "total": (MEDCOM_OBSERVATION, "MCS88125",
              "Pt—Tidlig Opsporing af Begyndende Sygdom (TOBS) score; antal (værdi 0-15) = ?", "1"),
}

# ---- Plain FHIR R4 vital signs (the core vital-signs profiles)
VITAL_PROFILE = "http://hl7.org/fhir/StructureDefinition/"
LOINC_CODES = {
    "pulse": ("8867-4", "Heart rate", "/min", "heartrate"),
    "resp": ("9279-1", "Respiratory rate", "/min", "resprate"),
    "temp": ("8310-5", "Body temperature", "Cel", "bodytemp"),
    "sys_bp": ("85354-9", "Blood pressure panel with all children optional", "mm[Hg]", "bp"),
    "awareness": ("80288-4", "Level of consciousness", "", None),
}
LOINC_SYSTOLIC = ("8480-6", "Systolic blood pressure")
LOINC_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
UCUM_DISPLAY = {"/min": "/min", "Cel": "°C", "mm[Hg]": "mmHg", "1": "1"}

# Temperature sites as SNOMED CT body structures.
BODY_SITES = {
    "rectal": ("34402009", "Rectum structure"),
    "oral": ("74262004", "Oral cavity structure"),
    "axillary": ("91470000", "Axillary region structure"),
}
# Awareness as SNOMED CT findings (the ACVPU findings); "habitual" is the person's usual, alert state.
AWARENESS_FINDINGS = {
    "habitual": ("248234008", "Mentally alert"),
    "agitated": ("130987000", "Acute confusion"),
    "voice": ("300202002", "Responds to voice"),
    "pain": ("450847001", "Responds to pain"),
    "unresponsive": ("422768004", "Unresponsive"),
}
SNOMED_LEVEL_OF_CONSCIOUSNESS = "6942003"
