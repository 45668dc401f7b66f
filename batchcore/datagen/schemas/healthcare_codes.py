"""Healthcare value lists: ICD-10-CM diagnoses, encounter types with their CPT codes, specialties,
facility types, blood types, payers.

Codes are real: ICD-10-CM (CMS FY2024 code set) and CPT evaluation-and-management, lab and
imaging codes (AMA); weights are relative frequencies in outpatient practice (rounded, for
realistic skew, not for clinical use). Blood types: American Red Cross US distribution.
"""

from __future__ import annotations

# (ICD-10-CM code, description, chapter, chronic, relative prevalence in primary-care visits)
DIAGNOSES = (
    ("I10", "Essential (primary) hypertension", "Circulatory", True, 10),
    ("E11.9", "Type 2 diabetes mellitus without complications", "Endocrine", True, 7),
    ("E78.5", "Hyperlipidemia, unspecified", "Endocrine", True, 6),
    (
        "Z00.00",
        "General adult medical exam without abnormal findings",
        "Factors influencing health",
        False,
        6,
    ),
    ("J06.9", "Acute upper respiratory infection, unspecified", "Respiratory", False, 8),
    ("M54.50", "Low back pain, unspecified", "Musculoskeletal", False, 5),
    ("J02.9", "Acute pharyngitis, unspecified", "Respiratory", False, 3),
    ("N39.0", "Urinary tract infection, site not specified", "Genitourinary", False, 3),
    ("F41.1", "Generalized anxiety disorder", "Mental and behavioral", True, 3),
    ("F32.A", "Depression, unspecified", "Mental and behavioral", True, 3),
    ("R10.9", "Unspecified abdominal pain", "Symptoms and signs", False, 3),
    ("Z23", "Encounter for immunization", "Factors influencing health", False, 3),
    ("J20.9", "Acute bronchitis, unspecified", "Respiratory", False, 2.5),
    ("J45.909", "Unspecified asthma, uncomplicated", "Respiratory", True, 2.5),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis", "Digestive", True, 2.5),
    ("R07.9", "Chest pain, unspecified", "Symptoms and signs", False, 2.5),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", "Respiratory", True, 2),
    ("U07.1", "COVID-19", "Special purposes", False, 2),
    ("R51.9", "Headache, unspecified", "Symptoms and signs", False, 2),
    ("R05.9", "Cough, unspecified", "Symptoms and signs", False, 2),
    ("E66.9", "Obesity, unspecified", "Endocrine", True, 2),
    ("E03.9", "Hypothyroidism, unspecified", "Endocrine", True, 2),
    ("M25.561", "Pain in right knee", "Musculoskeletal", False, 2),
    ("J18.9", "Pneumonia, unspecified organism", "Respiratory", False, 1.5),
    ("M17.11", "Unilateral primary osteoarthritis, right knee", "Musculoskeletal", True, 1.5),
    (
        "G43.909",
        "Migraine, unspecified, not intractable, without status migrainosus",
        "Nervous system",
        True,
        1.5,
    ),
    ("R53.83", "Other fatigue", "Symptoms and signs", False, 1.5),
    (
        "I25.10",
        "Atherosclerotic heart disease of native coronary artery without angina pectoris",
        "Circulatory",
        True,
        1.5,
    ),
    ("H66.90", "Otitis media, unspecified, unspecified ear", "Ear and mastoid", False, 1.5),
    (
        "Z12.31",
        "Encounter for screening mammogram for malignant neoplasm of breast",
        "Factors influencing health",
        False,
        1.5,
    ),
    ("I48.91", "Unspecified atrial fibrillation", "Circulatory", True, 1.2),
    ("G47.33", "Obstructive sleep apnea (adult) (pediatric)", "Nervous system", True, 1.2),
    ("I50.9", "Heart failure, unspecified", "Circulatory", True, 1),
    ("N18.30", "Chronic kidney disease, stage 3 unspecified", "Genitourinary", True, 1),
    ("K59.00", "Constipation, unspecified", "Digestive", False, 1),
    ("D64.9", "Anemia, unspecified", "Blood", False, 1),
    ("F17.210", "Nicotine dependence, cigarettes, uncomplicated", "Mental and behavioral", True, 1),
    (
        "S93.401A",
        "Sprain of unspecified ligament of right ankle, initial encounter",
        "Injury",
        False,
        1,
    ),
    ("A09", "Infectious gastroenteritis and colitis, unspecified", "Infectious", False, 1),
    ("L03.90", "Cellulitis, unspecified", "Skin", False, 0.8),
    ("H10.9", "Unspecified conjunctivitis", "Eye and adnexa", False, 0.8),
    (
        "S06.0X0A",
        "Concussion without loss of consciousness, initial encounter",
        "Injury",
        False,
        0.5,
    ),
    ("T78.40XA", "Allergy, unspecified, initial encounter", "Injury", False, 0.5),
    (
        "O80",
        "Encounter for full-term uncomplicated delivery",
        "Pregnancy and childbirth",
        False,
        0.4,
    ),
    (
        "Z51.11",
        "Encounter for antineoplastic chemotherapy",
        "Factors influencing health",
        False,
        0.3,
    ),
)
# Encounter types: (name, weight, median charge in USD, CPT codes billed for it, their weights)
ENCOUNTER_TYPES = (
    ("Outpatient", 68, 220.0, ("99213", "99214", "99203", "80053"), (45, 30, 10, 15)),
    ("Emergency", 12, 1_800.0, ("99283", "99284", "99285", "71046"), (35, 35, 20, 10)),
    ("Telehealth", 14, 90.0, ("99212", "99213", "99441", "99442"), (30, 35, 20, 15)),
    ("Inpatient", 6, 4_500.0, ("99221", "99222", "99223", "99232"), (25, 30, 25, 20)),
)
CPT_CODES = tuple(sorted({c for e in ENCOUNTER_TYPES for c in e[3]}))
SPECIALTIES = (
    ("Family Medicine", 24),
    ("Internal Medicine", 20),
    ("Pediatrics", 10),
    ("Emergency Medicine", 9),
    ("Cardiology", 6),
    ("Orthopedic Surgery", 5),
    ("Obstetrics and Gynecology", 6),
    ("Psychiatry", 5),
    ("Dermatology", 4),
    ("Neurology", 3),
    ("Pulmonology", 3),
    ("Nephrology", 2),
    ("Radiology", 3),
)
FACILITY_TYPES = (
    ("Hospital", 25, "General Hospital"),
    ("Clinic", 45, "Family Clinic"),
    ("Urgent Care", 20, "Urgent Care"),
    ("Ambulatory Surgery Center", 10, "Surgery Center"),
)
# American Red Cross blood type distribution (US).
BLOOD_TYPES = (
    ("O+", 37.4),
    ("A+", 35.7),
    ("B+", 8.5),
    ("AB+", 3.4),
    ("O-", 6.6),
    ("A-", 6.3),
    ("B-", 1.5),
    ("AB-", 0.6),
)
# Patient age bands (first age, last age, weight): patients skew older than the population.
AGE_BANDS = ((0, 17, 18), (18, 44, 30), (45, 64, 30), (65, 95, 22))
PAYERS = ("Medicare", "Commercial", "Medicaid", "Self-pay")
# Share of the billed amount a payer allows (rough US averages).
ALLOWED_RATIO = (0.45, 0.65, 0.35, 0.90)
CLAIM_STATUS = (("Paid", 78), ("Denied", 9), ("Pending", 8), ("Adjusted", 5))
UNBILLED_EVERY = 10
