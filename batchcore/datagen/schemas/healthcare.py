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
from batchcore.datagen.schemas.healthcare_codes import (
    AGE_BANDS,
    ALLOWED_RATIO,
    BLOOD_TYPES,
    CLAIM_STATUS,
    CPT_CODES,
    DIAGNOSES,
    ENCOUNTER_TYPES,
    FACILITY_TYPES,
    PAYERS,
    SPECIALTIES,
    UNBILLED_EVERY,
)
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
