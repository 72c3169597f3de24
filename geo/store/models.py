"""The schema: plain SQLAlchemy 2 models with GeoAlchemy2 geometry columns.

Every geometry is stored in EPSG:4326 with a GiST index. Every fact row carries the import
batch that brought it. No table holds the identity of a person involved in a case
(DOMAIN.md, privacy): incidents keep counts of people only, and case or record numbers only
as keyed hashes. ``tests/test_privacy.py`` checks the column names against that rule.
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo.settings import STORAGE_SRID

UNIT_LEVELS = ("province", "district", "commune")
UNIT_TYPES = ("tinh", "thanh_pho", "thi_xa", "huyen", "quan", "phuong", "xa", "thi_tran")
SITE_KINDS = ("public", "in_establishment")
SITE_EVENTS = ("identified", "cleared", "reactivated", "recleared")
TEAM_LEVELS = ("tinh", "huyen", "xa")
ROLES = ("viewer", "analyst", "editor", "admin")
REVIEW_STATUSES = ("open", "resolved", "dismissed")


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """Return a CHECK constraint limiting ``column`` to ``values``."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_allowed")


def point_column() -> Mapped:
    """Return a nullable point column in storage CRS with a GiST index."""
    return mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=True)


def record_hash_column() -> Mapped:
    """Return the ingest's natural key of a record: unique, NULL for records not ingested from a file.

    The SHA-256 of the record's normalised values (with the keyed hash of its case or record number
    where it has one): loading the same row again finds it and counts it as a duplicate. Kept in the
    "C" collation: a digest is compared byte by byte, which keeps its unique index cheap to fill.
    """
    return mapped_column(String(64, collation="C"), unique=True, nullable=True)


class Base(DeclarativeBase):
    """Declarative base of every diaban table."""


class ImportBatch(Base):
    """One load: a boundary layer, a demo data set or an ingested file."""

    __tablename__ = "import_batch"
    __table_args__ = (one_of("status", ("running", "done", "failed")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="running")
    rows_loaded: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict] = mapped_column(JSONB, default=dict)


class ProvinceConfig(Base):
    """The configuration of the province whose boundaries are loaded (recorded by ``boundaries load``).

    The web app and the ingest read it here, so they need no ``--province`` flag: ``settings``
    holds ``vn2000_crs``, ``export_crs``, the ``[plan]`` table and the parsed targets file.
    """

    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Vintage(Base):
    """A set of administrative units of one province valid over a date range (a boundary vintage).

    ``id`` is ``<province code>:<config id>`` ("75:2010-02-06", ``geo.store.units.vintage_key``):
    vintages belong to a province, so two provinces may configure the same dates.
    """

    __tablename__ = "vintage"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    label: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


class AdminUnit(Base):
    """An administrative unit (province, district or commune) of one vintage.

    Keyed by GSO code plus vintage, never by name: codes are reused across reorganisations.
    ``geom`` is the cleaned coverage; ``geom_display`` is the same coverage simplified as a
    whole (no gaps open between neighbours) for maps.
    """

    __tablename__ = "admin_unit"
    __table_args__ = (
        UniqueConstraint("vintage_id", "code", name="admin_unit_code_per_vintage"),
        one_of("level", UNIT_LEVELS),
        one_of("unit_type", UNIT_TYPES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vintage_id: Mapped[str] = mapped_column(ForeignKey("vintage.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(Text)
    unit_type: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(String(5))
    #: The predecessor province a unit lay in, in a vintage made of several (null otherwise).
    former_province_code: Mapped[str | None] = mapped_column(String(2))
    #: How a derived vintage drew the unit where no published layer does (``boundaries.history``).
    history_note: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    area_km2: Mapped[float] = mapped_column()
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    geom_display = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


class _Located:
    """Mixin for records placed by a point, or only by a reference to a unit."""

    geom = point_column()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)


class Establishment(_Located, Base):
    """An at-risk business (cơ sở kinh doanh dịch vụ dễ bị lợi dụng). Its name is business data."""

    __tablename__ = "establishment"
    __table_args__ = (
        CheckConstraint("geom IS NOT NULL OR unit_id IS NOT NULL", name="establishment_located"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    commitment_signed: Mapped[bool | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="active")
    type_label: Mapped[str | None] = mapped_column(Text)
    registration_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class Site(_Located, Base):
    """A prostitution site (tụ điểm), public or inside an establishment."""

    __tablename__ = "site"
    __table_args__ = (
        one_of("site_kind", SITE_KINDS),
        CheckConstraint("geom IS NOT NULL OR unit_id IS NOT NULL", name="site_located"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_kind: Mapped[str] = mapped_column(String(20))
    descriptor: Mapped[str | None] = mapped_column(Text)
    establishment_id: Mapped[int | None] = mapped_column(ForeignKey("establishment.id"))
    kind_label: Mapped[str | None] = mapped_column(Text)
    site_ref_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    events: Mapped[list[SiteEvent]] = relationship(
        back_populates="site", order_by="SiteEvent.event_date", passive_deletes=True
    )


class SiteEvent(Base):
    """One dated step of a site's history: identified, cleared, reactivated, re-cleared."""

    __tablename__ = "site_event"
    __table_args__ = (one_of("event_type", SITE_EVENTS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    event_date: Mapped[date] = mapped_column(Date, index=True)
    event_type: Mapped[str] = mapped_column(String(20))
    event_label: Mapped[str | None] = mapped_column(Text)
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    site: Mapped[Site] = relationship(back_populates="events")


class Incident(_Located, Base):
    """A case (vụ việc / vụ án): counts of people only, never who they are."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("geom IS NOT NULL OR unit_id IS NOT NULL", name="incident_located"),
        CheckConstraint("persons_total IS NULL OR persons_total >= 0", name="persons_nonneg"),
        CheckConstraint("fine_vnd IS NULL OR fine_vnd >= 0", name="incident_fine_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_date: Mapped[date] = mapped_column(Date, index=True)
    incident_kind: Mapped[str] = mapped_column(String(60))
    kind_label: Mapped[str | None] = mapped_column(Text)
    case_type: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_label: Mapped[str | None] = mapped_column(Text)
    establishment_id: Mapped[int | None] = mapped_column(ForeignKey("establishment.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    persons_total: Mapped[int | None] = mapped_column()
    persons_under_18: Mapped[int | None] = mapped_column()
    fine_vnd: Mapped[int | None] = mapped_column(BigInteger)
    case_ref_hmac: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class Inspection(Base):
    """An inspection visit (lượt kiểm tra) of an establishment; fines in integer VND."""

    __tablename__ = "inspection"
    __table_args__ = (
        one_of("team_level", TEAM_LEVELS),
        CheckConstraint("fine_vnd IS NULL OR fine_vnd >= 0", name="fine_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_date: Mapped[date] = mapped_column(Date, index=True)
    establishment_id: Mapped[int] = mapped_column(
        ForeignKey("establishment.id", ondelete="CASCADE"), index=True
    )
    team_level: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(40))
    outcome_label: Mapped[str | None] = mapped_column(Text)
    violation_codes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    violation_labels: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    fine_vnd: Mapped[int | None] = mapped_column(BigInteger)
    record_ref_hmac: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class CriterionAssessment(Base):
    """A criterion of the commune classification as recorded (attested) by an officer."""

    __tablename__ = "criterion_assessment"
    __table_args__ = (Index("criterion_assessment_lookup", "unit_id", "period", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    period: Mapped[str] = mapped_column(String(10))
    criterion_id: Mapped[str] = mapped_column(String(20))
    holds: Mapped[bool | None] = mapped_column()
    value: Mapped[float | None] = mapped_column()
    assessed_by: Mapped[str] = mapped_column(String(80))
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


TIP_RESULTS = ("confirmed", "not_confirmed", "pending")
ACTIVITY_FORMS = ("meeting", "loudspeaker", "leaflet", "banner", "training", "other")


class Tip(_Located, Base):
    """A tip-off (tin báo, tố giác) from the public: when and where, what about, how it was handled.

    Never who told: no informant, phone or free-text column. Placed by its (approximate) point or
    commune; linked to an establishment or site when the row names one.
    """

    __tablename__ = "tip"
    __table_args__ = (
        one_of("result", TIP_RESULTS),
        CheckConstraint("geom IS NOT NULL OR unit_id IS NOT NULL", name="tip_located"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_date: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    category_label: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(20))
    channel_label: Mapped[str | None] = mapped_column(Text)
    establishment_id: Mapped[int | None] = mapped_column(ForeignKey("establishment.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    verified_date: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20), default="pending")
    handled_date: Mapped[date | None] = mapped_column(Date)
    tip_ref_hmac: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class Activity(_Located, Base):
    """An awareness or communication activity (hoạt động tuyên truyền) held in a commune."""

    __tablename__ = "activity"
    __table_args__ = (
        one_of("form", ACTIVITY_FORMS),
        CheckConstraint("geom IS NOT NULL OR unit_id IS NOT NULL", name="activity_located"),
        CheckConstraint("participants_count IS NULL OR participants_count >= 0",
                        name="participants_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_date: Mapped[date] = mapped_column(Date, index=True)
    form: Mapped[str] = mapped_column(String(20))
    form_label: Mapped[str | None] = mapped_column(Text)
    participants_count: Mapped[int | None] = mapped_column()
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class User(Base):
    """A login of the platform (staff, not people involved in cases)."""

    __tablename__ = "app_user"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditLog(Base):
    """Who did what, when: logins, loads, user changes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("audit_log_action_at", "action", "at"),)  # the login throttle, the filters

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)


REPORT_INDICATORS = ("awareness_activities", "tips_received", "tips_handled", "people_reached",
                     "vocational_support", "reintegrated")
CLASSIFICATION_STATUSES = ("healthy", "reduced", "not_healthy", "not_assessed")


class CommuneReport(Base):
    """An aggregate number a commune reports for a period (counts only, never persons)."""

    __tablename__ = "commune_report"
    __table_args__ = (
        one_of("indicator_code", REPORT_INDICATORS),
        CheckConstraint("value >= 0", name="commune_report_value_nonneg"),
        Index("commune_report_lookup", "unit_id", "period", "indicator_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    period: Mapped[str] = mapped_column(String(10))
    indicator_code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column()
    reported_by: Mapped[str] = mapped_column(String(80))
    record_hash: Mapped[str | None] = record_hash_column()
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class ClassificationSnapshot(Base):
    """One evaluation of a rule set over a period and vintage; never changes once written."""

    __tablename__ = "classification_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(80))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10))
    convention: Mapped[str] = mapped_column(String(20))
    vintage_id: Mapped[str] = mapped_column(ForeignKey("vintage.id"))
    data_as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(80))


class ClassificationResult(Base):
    """One commune's status in a snapshot, with each criterion's value, pass and evidence ids."""

    __tablename__ = "classification_result"
    __table_args__ = (
        one_of("status", CLASSIFICATION_STATUSES),
        UniqueConstraint("snapshot_id", "commune_code", name="classification_result_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("classification_snapshot.id"), index=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column()
    criteria: Mapped[list] = mapped_column(JSONB)


class UnitCrosswalk(Base):
    """Old unit → new unit across two vintages: ``whole`` or ``split``, and how it was found.

    ``share`` is the part of the old unit's area inside the new one; ``method`` says whether
    the published text named the pair (``text``, checked against the geometry) or the area
    shares alone placed it (``geometry``). Name-only records follow ``whole`` rows only.
    """

    __tablename__ = "unit_crosswalk"
    __table_args__ = (
        UniqueConstraint("from_unit_id", "to_unit_id", name="unit_crosswalk_pair"),
        one_of("kind", ("whole", "split")),
        one_of("method", ("text", "geometry")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"),
                                              index=True)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    share: Mapped[float] = mapped_column()
    method: Mapped[str] = mapped_column(String(10))
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class ApiToken(Base):
    """A bearer token of a user for API and OGC API clients: only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False, server_default=false())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """A web login: the cookie carries a random id, this row only its SHA-256.

    Every request looks its row up (with the user's current role and active flag); deleting
    the row ends the session, so logout, disabling a user, changing a role or a password take
    effect at the next request, whatever cookie a browser keeps.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RejectedRow(Base):
    """A source row the ingest could not load (quarantine), with its reason and fix.

    ``raw`` holds only the row's allowed columns as the file gave them: columns dropped for
    privacy at read time never reach it, and case or record numbers are left out: ``ref_hmac``
    keeps their keyed hashes (``{"case_ref_hmac": ...}``) so a reviewed row can still be loaded.
    """

    __tablename__ = "rejected_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    source_row: Mapped[int] = mapped_column()
    sheet: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict] = mapped_column(JSONB, default=dict)
    ref_hmac: Mapped[dict | None] = mapped_column(JSONB)


class ReviewItem(Base):
    """A quarantined row waiting for a person: a commune reference the ingest would not guess.

    ``candidates`` lists the units a reviewer may choose (``unit_id, code, name, district, score``);
    resolving the item names the unit (``unit_id``), remembers it as a :class:`UnitAlias` and
    loads the row into its batch (``result``: loaded, duplicate, or rejected for another reason).
    """

    __tablename__ = "review_item"
    __table_args__ = (one_of("status", REVIEW_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rejected_row_id: Mapped[int] = mapped_column(
        ForeignKey("rejected_row.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40))
    vintage_id: Mapped[str] = mapped_column(ForeignKey("vintage.id", ondelete="CASCADE"))
    commune_text: Mapped[str | None] = mapped_column(Text)
    district_text: Mapped[str | None] = mapped_column(Text)
    commune_key: Mapped[str] = mapped_column(Text)
    district_key: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[list] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"))
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(String(20))
    import_batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)


class UnitAlias(Base):
    """A reviewer's decision, remembered: this commune text (within this district text) is this unit.

    Keyed by the vintage and the normalised keys (``etl.names.commune_key`` / ``district_key``; an
    empty district key when the row named none). The ingest uses it automatically when no exact name
    matches. It belongs to the import batch whose review taught it.
    """

    __tablename__ = "unit_alias"
    __table_args__ = (UniqueConstraint("vintage_id", "district_key", "commune_key", name="unit_alias_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vintage_id: Mapped[str] = mapped_column(ForeignKey("vintage.id", ondelete="CASCADE"))
    district_key: Mapped[str] = mapped_column(Text, default="")
    commune_key: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))


class DataRevision(Base):
    """One row that counts every change to the data the maps and reports are drawn from.

    Statement-level triggers (migration 0007) bump ``revision`` in the same transaction as the
    change, so a reader sees the new number exactly when it sees the new rows: results cached
    under the revision (``geo.store.map_layers.data_version``) are never stale. Writers of
    those tables queue on this row until they commit, which the monthly loads can afford.
    """

    __tablename__ = "data_revision"
    __table_args__ = (CheckConstraint("id = 1", name="data_revision_single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


UPLOAD_JOB_STATES = ("running", "done", "failed")


class UploadJob(Base):
    """One web upload and its ingest: who sent which kind of file, how far it got, and its outcome.

    ``state`` is ``running`` from the moment the file is accepted (``phase``, the ingest's stage, says
    ``queued`` until a worker takes it), then ``done`` or ``failed``. ``host`` and ``pid`` name the
    server process that supervises the job: a job left ``running`` by a process that is gone is marked
    failed when the app starts again. ``source`` is the sanitised file name as its sender knew it
    (the file itself lives in a temporary folder only while the job runs). No person data: the
    report holds counts and reason codes.
    """

    __tablename__ = "upload_job"
    __table_args__ = (one_of("state", UPLOAD_JOB_STATES),
                      Index("ix_upload_job_state_owner", "state", "owner"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(default=False)
    period: Mapped[str | None] = mapped_column(String(20))  # a whole file's period (reports, attestations)
    state: Mapped[str] = mapped_column(String(10), default="running")
    phase: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[dict] = mapped_column(JSONB, default=dict)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict | None] = mapped_column(JSONB)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


class RecognitionDecision(Base):
    """The steering committee's decision on a commune for a year: recognised or not as "lành mạnh".

    Recognition (công nhận xã, phường, thị trấn lành mạnh không có tệ nạn mại dâm) is a human
    decision, distinct from the computed proposal (đề xuất: the status of a classification
    snapshot). ``decided_by`` names an office or role (``UBND tỉnh``, ``Ban Chỉ đạo tỉnh``), never
    a person; ``recorded_by`` is the staff login that entered it. A new decision for the same
    commune and year supersedes the current one (``superseded_at`` is set, the row is kept):
    at most one current decision per vintage, commune and year. ``snapshot_id`` is the
    classification snapshot the decision was based on, when known.
    """

    __tablename__ = "recognition_decision"
    __table_args__ = (
        Index("recognition_decision_current", "vintage_id", "commune_code", "year", unique=True,
              postgresql_where=text("superseded_at IS NULL")),
        CheckConstraint("year BETWEEN 1990 AND 2100", name="recognition_year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vintage_id: Mapped[str] = mapped_column(ForeignKey("vintage.id"))
    commune_code: Mapped[str] = mapped_column(String(5))
    year: Mapped[int] = mapped_column()
    recognised: Mapped[bool] = mapped_column()
    decision_number: Mapped[str] = mapped_column(String(60))
    decision_date: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(120))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("classification_snapshot.id"))
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
