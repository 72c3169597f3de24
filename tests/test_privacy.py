"""The privacy rule (DOMAIN.md): no column can hold the identity of a person in a case."""

import re

import pytest
from sqlalchemy import inspect

from geo.store.models import Base

#: Column-name fragments that would hold a person's identity (English and Vietnamese).
FORBIDDEN = re.compile(
    r"(person_name|full_name|ho_ten|hoten|first_name|last_name|birth|dob|ngay_sinh|nam_sinh|"
    r"age\b|phone|dien_thoai|sdt|cccd|cmnd|passport|id_number|national_id|home_address|"
    r"thuong_tru|tam_tru|que_quan|hometown|zalo|facebook|plate|bien_so|hiv|tien_an|tien_su|"
    r"photo|suspect|offender|victim)",
    re.IGNORECASE,
)
#: Names allowed by the rule: business names, unit names, staff logins.
ALLOWED = {("establishment", "name"), ("establishment", "address"), ("admin_unit", "name"),
           ("app_user", "username"), ("audit_log", "actor")}


def all_columns():
    return [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns]


def test_no_column_names_a_personal_identifier():
    offending = [tc for tc in all_columns() if FORBIDDEN.search(tc[1])]
    assert offending == []


def test_free_text_and_name_columns_are_only_the_allowed_ones():
    named = {tc for tc in all_columns() if re.search(r"name|address", tc[1])}
    assert named <= ALLOWED | {("vintage", "label")}


def test_case_numbers_are_only_kept_as_keyed_hashes():
    refs = [tc for tc in all_columns() if re.search(r"ref|case|record_no|decision", tc[1])]
    assert refs and all(column.endswith("_hmac") or column in {"case_type"} for _, column in refs)


@pytest.mark.postgis
def test_the_database_has_exactly_the_model_columns(engine):
    inspector = inspect(engine)
    in_db = {(t, c["name"]) for t in inspector.get_table_names() if t != "spatial_ref_sys"
             and t != "alembic_version" for c in inspector.get_columns(t)}
    assert in_db == set(all_columns())
