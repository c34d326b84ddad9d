"""The shared model every app stands on: government units, their cadres, and the audit trail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .phones import mask_phone
from .text import clean_display_text

# \Z, not $: "$" also matches before a trailing newline; [0-9], not \d, which matches every script's digits.
employee_no_validator = RegexValidator(
    r"^[A-Za-z0-9_-]{1,32}\Z",
    _("An employee number has 1-32 letters, digits, '-' or '_'."),
)
phone_validator = RegexValidator(
    r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8})\Z",
    _("Enter an 11-digit mobile number or a landline such as 0427-2812345."),
)


class Unit(models.Model):
    """A government unit (市直单位): bureau, commission, court, office..."""

    class Kind(models.TextChoices):
        PARTY = "party", _("Party organ")
        GOVERNMENT = "government", _("Government department")
        PEOPLES_CONGRESS = "congress", _("People's congress / CPPCC organ")
        JUDICIAL = "judicial", _("Court or procuratorate")
        MASS_ORGANISATION = "mass", _("Mass organisation")
        INSTITUTION = "institution", _("Public institution")
        ENTERPRISE = "enterprise", _("State-owned enterprise")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("A code has only letters, digits, '-' or '_'."))],
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        # Invisible and direction-changing characters would make look-alike or reversed unit names.
        self.name = clean_display_text(self.name)
        self.short_name = clean_display_text(self.short_name)
        if not self.name:
            raise ValidationError({"name": _("Enter a name with visible characters.")})

    @property
    def display_name(self):
        return self.short_name or self.name


class Cadre(models.Model):
    """One person working in a unit; logs in with the employee number."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class PoliticalStatus(models.TextChoices):
        CPC_MEMBER = "cpc", _("CPC member")
        CPC_PROBATIONARY = "cpc_probationary", _("Probationary CPC member")
        CYL_MEMBER = "cyl", _("Communist Youth League member")
        DEMOCRATIC_PARTY = "democratic", _("Democratic party member")
        NON_PARTISAN = "nonpartisan", _("Non-partisan")
        MASSES = "masses", _("The masses")

    class Talent(models.TextChoices):
        CALLIGRAPHY = "calligraphy", _("Calligraphy")
        PHOTOGRAPHY = "photography", _("Photography")
        VIDEO = "video", _("Video production")
        HOSTING = "hosting", _("Hosting")
        WRITING = "writing", _("Writing")
        FIRST_AID = "first_aid", _("First aid")
        SINGING = "singing", _("Singing")
        INSTRUMENT = "instrument", _("Musical instrument")
        DESIGN = "design", _("Graphic design")
        SPORTS_REFEREE = "referee", _("Sports refereeing")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cadre", verbose_name=_("user account")
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True, validators=[employee_no_validator])
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("unit"))
    position = models.CharField(_("position"), max_length=60, blank=True)
    political_status = models.CharField(
        _("political status"), max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[phone_validator])
    talents = models.JSONField(_("talents"), default=list, blank=True)
    car_plate = models.CharField(_("car plate"), max_length=12, blank=True)
    is_liaison = models.BooleanField(
        _("liaison of the unit"),
        default=False,
        help_text=_("Liaisons register their unit's teams and see their unit's cadres."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(_("must change password at next login"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["employee_no"]
        indexes = [
            models.Index(fields=["unit", "is_active"]),
            models.Index(Lower("name"), name="portal_cadre_name_lower"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(employee_no=""), name="portal_cadre_employee_no_not_empty"),
            # "A001" and "a001" would be two logins that people read as one: refuse the second one outright.
            models.UniqueConstraint(
                Lower("employee_no"),
                name="portal_cadre_employee_no_ci_unique",
                violation_error_message=_("An employee number that differs only in letter case is already taken."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.employee_no})"

    def clean(self):
        # Invisible and direction-changing characters would make look-alike or reversed names.
        self.name = clean_display_text(self.name)
        self.position = clean_display_text(self.position)
        if not self.name:
            raise ValidationError({"name": _("Enter a name with visible characters.")})

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    def get_talents_display(self):
        labels = dict(self.Talent.choices)
        return [labels.get(code, code) for code in self.talents]


class ActiveStretch(models.Model):
    """A stretch of time [started_at, ended_at): started_at is empty when it began before records were kept,
    ended_at while it lasts. At most one open stretch per owner (a unique constraint in each subclass)."""

    started_at = models.DateTimeField(_("from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True)
                | models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gt=models.F("started_at")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
        ]


class CadreTenure(ActiveStretch):
    """A stretch of time a cadre was active in one unit.

    A report computes a period's roster from these, so a cadre deactivated or moved since still counts where and
    while they were (portal.history writes them; portal.reports.snapshot reads them). A cadre with no tenure at
    all (rows written before this table existed, bulk-loaded demo data) is taken as active in their current unit
    since records began, if active now.
    """

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="tenures", verbose_name=_("cadre"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))

    class Meta:
        verbose_name = _("cadre tenure")
        verbose_name_plural = _("cadre tenures")
        ordering = ["cadre", models.F("started_at").asc(nulls_first=True)]
        indexes = [models.Index(fields=["cadre", "started_at"])]
        constraints = [
            *ActiveStretch.Meta.constraints,
            # A cadre is in one unit at a time.
            models.UniqueConstraint(
                fields=["cadre"], condition=models.Q(ended_at__isnull=True), name="portal_cadretenure_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.cadre_id}@{self.unit_id} [{self.started_at}, {self.ended_at})"


class UnitActiveSpan(ActiveStretch):
    """A stretch of time a unit was active; a unit with no span at all is taken as active since records began,
    if active now."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="active_spans", verbose_name=_("unit"))

    class Meta:
        verbose_name = _("unit active span")
        verbose_name_plural = _("unit active spans")
        ordering = ["unit", models.F("started_at").asc(nulls_first=True)]
        indexes = [models.Index(fields=["unit", "started_at"])]
        constraints = [
            *ActiveStretch.Meta.constraints,
            models.UniqueConstraint(
                fields=["unit"], condition=models.Q(ended_at__isnull=True), name="portal_unitactivespan_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.unit_id} [{self.started_at}, {self.ended_at})"


class AuditEntry(models.Model):
    """One state change that matters: who did what to which object, with the values changed."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


from .imports.models import RosterImport  # noqa: E402,F401
from .reports.models import Report  # noqa: E402,F401
