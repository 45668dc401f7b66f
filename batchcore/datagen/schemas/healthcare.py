"""Healthcare star schema: patients, providers, facilities, diagnoses, dates; facts encounters and claims.

Sizes for `n` = row_count (fact_encounters rows):

| table | rows |
|---|---|
| dim_date | 731 |
| dim_patient | n / 10, at least 100 |
| dim_provider | n / 2,000, between 20 and 20,000 |
| dim_facility | n / 50,000, between 5 and 500 |
| dim_diagnosis | 45 (a fixed list of common ICD-10-CM codes) |
| fact_encounters | n |
| fact_claims | n - n / 10 (every tenth encounter is not billed yet) |

Codes are real: ICD-10-CM diagnosis codes (CMS FY2024 code set) and CPT evaluation-and-
management, lab and imaging codes (AMA). Patients aged 65 or more are mostly on Medicare.
"""

from __future__ import annotations

from batchcore.datagen import calendar as cal
from batchcore.datagen.schemas.common import clamp, person, us_city
from batchcore.datagen.spec import Source, StarSchema, Streams, Table, TableBuilder
from batchcore.datagen.sqlfn import (
    bucket_indices,
    choice,
    code,
    list_lit,
    lognormal,
    lookup,
    money,
    pick_index,
    skewed_key,
    uniform_int,
    unit,
)

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

SALT = {
    "dim_date": 201,
    "dim_patient": 210,
    "patient_attrs": 211,
    "dim_provider": 220,
    "provider_attrs": 221,
    "dim_facility": 230,
    "dim_diagnosis": 240,
    "fact_encounters": 250,
    "fact_claims": 260,
}


def sizes(n: int) -> dict[str, int]:
    """Rows per table for `n` encounters (see the module table)."""
    return {
        "dim_date": cal.DAYS,
        "dim_patient": max(100, n // 10),
        "dim_provider": clamp(n // 2000, 20, 20_000),
        "dim_facility": clamp(n // 50_000, 5, 500),
        "dim_diagnosis": len(DIAGNOSES),
        "fact_encounters": n,
        "fact_claims": n - n // UNBILLED_EVERY,
    }


def _patient_attrs(s: Streams) -> tuple[str, str]:
    """(age in whole years on 2024-01-01, payer index) of a patient, from its keyed stream.

    Age: AGE_BANDS weights, uniform within a band. Payer: Medicare for 94 % of patients aged
    65+, otherwise Commercial 62 : Medicaid 26 : Self-pay 12.
    """
    band = pick_index(s, [b[2] for b in AGE_BANDS])
    age = f"{lookup([b[0] for b in AGE_BANDS], band)} + {s.bits(16)} % {lookup([b[1] - b[0] + 1 for b in AGE_BANDS], band)}"
    under65 = list_lit(bucket_indices([0, 62, 26, 12], 256))
    payer = f"CASE WHEN _age >= 65 AND {s.bits(8)} < 240 THEN 0 ELSE {under65}[1 + {s.bits(8)}] END"
    return age, payer


def _provider_attrs(s: Streams, n_facilities: int) -> tuple[str, str]:
    """(specialty index, primary facility key) of a provider, from its keyed stream."""
    return pick_index(s, [w for _, w in SPECIALTIES]), f"1 + {s.bits(30)} % {n_facilities}"


def build(n: int, seed: int) -> list[Table]:
    """The Healthcare tables for `n` encounters, in dependency order."""
    z = sizes(n)
    tables = [cal.dim_date(seed, SALT["dim_date"])]

    t = TableBuilder(
        "dim_patient",
        kind="dimension",
        rows=z["dim_patient"],
        rows_rule="row_count / 10, at least 100",
        description="Patients with demographics and insurance",
        primary_key=("patient_key",),
        seed=seed,
        salt=SALT["dim_patient"],
    )
    t.col("patient_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("mrn", "VARCHAR", code("MRN", "patient_key", 8), "medical record number")
    person(t, "patient_key")
    p = t.streams("(i + 1)::BIGINT", SALT["patient_attrs"], "_pa")
    age, payer = _patient_attrs(p)
    t.hidden("_age", "INTEGER", age)
    t.col(
        "birth_date",
        "DATE",
        f"(DATE '2024-01-01' - INTERVAL (_age) YEAR)::DATE - {uniform_int(t.row, 0, 364)}::INTEGER",
        "age 0-100",
    )
    us_city(t, t.row, with_region=False)
    t.col(
        "insurance_type", "VARCHAR", lookup(PAYERS, payer), "Medicare mostly from 65", values=PAYERS
    )
    t.col(
        "blood_type",
        "VARCHAR",
        choice(t.row, [b for b, _ in BLOOD_TYPES], [w for _, w in BLOOD_TYPES]),
        values=tuple(b for b, _ in BLOOD_TYPES),
    )
    tables.append(t.build())

    t = TableBuilder(
        "dim_facility",
        kind="dimension",
        rows=z["dim_facility"],
        rows_rule="row_count / 50,000, 5..500",
        description="Hospitals, clinics, urgent care and surgery centres",
        primary_key=("facility_key",),
        seed=seed,
        salt=SALT["dim_facility"],
    )
    t.col("facility_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("facility_code", "VARCHAR", code("F", "facility_key", 4), "business key")
    t.hidden("_ft", "BIGINT", pick_index(t.row, [w for _, w, _ in FACILITY_TYPES]))
    t.col(
        "facility_type",
        "VARCHAR",
        lookup([f for f, _, _ in FACILITY_TYPES], "_ft"),
        values=tuple(f for f, _, _ in FACILITY_TYPES),
    )
    us_city(t, t.row, with_region=False)
    t.col(
        "facility_name",
        "VARCHAR",
        f"city || ' ' || {lookup([s for _, _, s in FACILITY_TYPES], '_ft')}",
    )
    t.col(
        "bed_count",
        "INTEGER",
        f"CASE WHEN facility_type = 'Hospital' THEN round({lognormal(t.row, 250.0, 0.6, 25.0, 1500.0)})::INTEGER ELSE 0 END",
        "hospitals only (0 otherwise)",
        valid=(0, 2000),
    )
    tables.append(t.build())

    t = TableBuilder(
        "dim_provider",
        kind="dimension",
        rows=z["dim_provider"],
        rows_rule="row_count / 2,000, 20..20,000",
        description="Physicians with specialty and primary facility",
        primary_key=("provider_key",),
        seed=seed,
        salt=SALT["dim_provider"],
    )
    t.col("provider_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col(
        "npi",
        "VARCHAR",
        "(1000000000 + (provider_key * 7919) % 999999999)::VARCHAR",
        "NPI-shaped, unique (check digit not computed)",
    )
    person(t, "provider_key")
    t.col("provider_name", "VARCHAR", "'Dr. ' || first_name || ' ' || last_name")
    s = t.streams("(i + 1)::BIGINT", SALT["provider_attrs"], "_pv")
    spec_idx, facility = _provider_attrs(s, z["dim_facility"])
    t.col(
        "specialty",
        "VARCHAR",
        lookup([x for x, _ in SPECIALTIES], spec_idx),
        values=tuple(x for x, _ in SPECIALTIES),
    )
    t.col(
        "facility_key",
        "INTEGER",
        facility,
        "primary facility",
        references="dim_facility.facility_key",
    )
    tables.append(t.build())

    t = TableBuilder(
        "dim_diagnosis",
        kind="dimension",
        rows=z["dim_diagnosis"],
        rows_rule=f"{len(DIAGNOSES)} (fixed list)",
        description="ICD-10-CM diagnosis codes",
        primary_key=("diagnosis_key",),
        seed=seed,
        salt=SALT["dim_diagnosis"],
    )
    t.col("diagnosis_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("icd10_code", "VARCHAR", lookup([d[0] for d in DIAGNOSES], "i"), "ICD-10-CM")
    t.col("description", "VARCHAR", lookup([d[1] for d in DIAGNOSES], "i"))
    t.col("chapter", "VARCHAR", lookup([d[2] for d in DIAGNOSES], "i"))
    t.col("is_chronic", "BOOLEAN", lookup([d[3] for d in DIAGNOSES], "i"))
    tables.append(t.build())

    t = TableBuilder(
        "fact_encounters",
        kind="fact",
        rows=z["fact_encounters"],
        rows_rule="row_count",
        description="Patient visits and stays",
        primary_key=("encounter_id",),
        seed=seed,
        salt=SALT["fact_encounters"],
    )
    r = t.row
    t.col("encounter_id", "BIGINT", "i + 1", "1..n")
    t.hidden("_day", "INTEGER", cal.seasonal_bucket(r))
    t.hidden("day_offset", "INTEGER", cal.bucket_day("_day", "healthcare"))
    t.col(
        "date_key",
        "INTEGER",
        cal.bucket_date_key("_day", "healthcare"),
        "admission / visit day (winter peak)",
        references="dim_date.date_key",
    )
    t.col(
        "patient_key",
        "INTEGER",
        skewed_key(r, z["dim_patient"], 2),
        references="dim_patient.patient_key",
    )
    t.col(
        "provider_key",
        "INTEGER",
        skewed_key(r, z["dim_provider"], 2),
        references="dim_provider.provider_key",
    )
    pv = t.streams("provider_key::BIGINT", SALT["provider_attrs"], "_pv")
    _, facility = _provider_attrs(pv, z["dim_facility"])
    t.col(
        "facility_key",
        "INTEGER",
        facility,
        "the provider's primary facility",
        references="dim_facility.facility_key",
    )
    t.col(
        "diagnosis_key",
        "INTEGER",
        f"1 + {pick_index(r, [d[4] for d in DIAGNOSES])}",
        "primary diagnosis",
        references="dim_diagnosis.diagnosis_key",
    )
    t.hidden("_et", "BIGINT", pick_index(r, [e[1] for e in ENCOUNTER_TYPES]))
    t.col(
        "encounter_type",
        "VARCHAR",
        lookup([e[0] for e in ENCOUNTER_TYPES], "_et"),
        values=tuple(e[0] for e in ENCOUNTER_TYPES),
    )
    t.col(
        "length_of_stay_days",
        "SMALLINT",
        f"CASE WHEN encounter_type = 'Inpatient' THEN "
        f"round({lognormal(r, 3.0, 0.7, 1.0, 45.0)})::SMALLINT ELSE 0 END",
        "inpatient nights (0 otherwise)",
        valid=(0, 60),
    )
    t.col(
        "total_charge",
        "DECIMAL(12,2)",
        money(
            f"{lookup([e[2] for e in ENCOUNTER_TYPES], '_et')} * greatest(1, length_of_stay_days) "
            f"* {lognormal(r, 1.0, 0.5, 0.25, 5.0)}"
        ),
        "USD billed by the facility",
        valid=(0, 5_000_000),
    )
    enc = t.build()
    tables.append(enc)

    t = TableBuilder(
        "fact_claims",
        kind="fact",
        rows=z["fact_claims"],
        rows_rule="row_count - row_count / 10",
        description="Insurance claims for billed encounters",
        primary_key=("claim_id",),
        seed=seed,
        salt=SALT["fact_claims"],
        index="j",
    )
    r = t.row
    t.col("claim_id", "BIGINT", "j + 1", "1..n")
    t.col("encounter_id", "BIGINT", "src_encounter_id", references="fact_encounters.encounter_id")
    t.col("service_date_key", "INTEGER", "src_date_key", references="dim_date.date_key")
    t.col(
        "date_key",
        "INTEGER",
        cal.date_key_of(f"LEAST({cal.DAYS - 1}, src_day_offset + {uniform_int(r, 1, 30)})"),
        "submission day: 1-30 days after the service",
        references="dim_date.date_key",
    )
    t.col("patient_key", "INTEGER", "src_patient_key", references="dim_patient.patient_key")
    t.col("provider_key", "INTEGER", "src_provider_key", references="dim_provider.provider_key")
    t.col("diagnosis_key", "INTEGER", "src_diagnosis_key", references="dim_diagnosis.diagnosis_key")
    cpt_buckets = [b for e in ENCOUNTER_TYPES for b in bucket_indices(e[4], 256)]
    t.col(
        "procedure_code",
        "VARCHAR",
        f"{list_lit([c for e in ENCOUNTER_TYPES for c in e[3]])}"
        f"[1 + src__et * 4 + {list_lit(cpt_buckets)}[1 + src__et * 256 + {r.bits(20)} % 256]]",
        "CPT",
        values=CPT_CODES,
    )
    pa = t.streams("src_patient_key::BIGINT", SALT["patient_attrs"], "_pa")
    age, payer = _patient_attrs(pa)
    t.hidden("_age", "INTEGER", age)
    t.hidden("_payer", "BIGINT", payer)
    t.col("payer", "VARCHAR", lookup(PAYERS, "_payer"), "the patient's insurance", values=PAYERS)
    t.col(
        "claim_status",
        "VARCHAR",
        choice(r, [c for c, _ in CLAIM_STATUS], [w for _, w in CLAIM_STATUS]),
        values=tuple(c for c, _ in CLAIM_STATUS),
    )
    t.col("billed_amount", "DECIMAL(12,2)", "src_total_charge", "USD", valid=(0, 5_000_000))
    t.col(
        "allowed_amount",
        "DECIMAL(12,2)",
        money(
            f"billed_amount * LEAST(1.0, {lookup(ALLOWED_RATIO, '_payer')} * (0.9 + 0.2 * {unit(r)}))"
        ),
        "USD",
        valid=(0, 5_000_000),
    )
    t.col(
        "paid_amount",
        "DECIMAL(12,2)",
        money(
            f"CASE WHEN claim_status IN ('Paid', 'Adjusted') THEN allowed_amount * (0.8 + 0.2 * {unit(r)}) ELSE 0 END"
        ),
        "USD (0 unless paid or adjusted)",
        valid=(0, 5_000_000),
    )
    tables.append(t.build(source=Source(enc, f"j + j // {UNBILLED_EVERY - 1}")))
    return tables


HEALTHCARE = StarSchema(
    "Healthcare",
    "healthcare",
    "fact_encounters",
    "Healthcare: patients, providers, facilities, diagnoses, dates; encounters and claims",
    build,
)
