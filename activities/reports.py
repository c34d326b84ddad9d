"""The activities' part of the summary workbook: activities held, person-times, reach, medals; one sheet.

Definitions (also written on the About sheet):
- an activity is *held* in a period when its start falls in the period and its status is published, registration
  closed or finished (drafts and cancelled activities do not count);
- *participations* (person-times, 人次) are confirmed individual registrations plus members of entered (not
  withdrawn) teams of the competitions of activities held; each team membership counts once, so a cadre in three
  competitions of a sports meet counts three times;
- *medals* are places 1, 2, 3 and *points* the sum of team points of the placings of those competitions, credited
  to the placing's unit; participations are credited to the cadre's unit.

Every figure is an aggregate the database computes; the number of queries does not depend on the data.
"""

from django.db.models import Count, Exists, F, Func, OuterRef, Q, Subquery, Sum
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Cadre, Unit
from portal.reports.builder import Column
from portal.reports.registry import ReportContribution, register

from .models import Activity, Competition, Placing, Registration, Team, TeamMember

HELD_STATUSES = (Activity.Status.PUBLISHED, Activity.Status.CLOSED, Activity.Status.FINISHED)


def _held(period, prefix: str = "") -> Q:
    """Activities held in the period, as a Q through `prefix` (e.g. "activity__")."""
    return Q(
        **{
            f"{prefix}status__in": HELD_STATUSES,
            f"{prefix}starts_at__gte": period.start,
            f"{prefix}starts_at__lt": period.end,
        }
    )


def held_activities(period):
    return Activity.objects.filter(_held(period))


def sign_ups(period):
    """Confirmed individual registrations to activities held in the period."""
    return Registration.objects.filter(_held(period, "activity__"), status=Registration.Status.CONFIRMED)


def team_places(period):
    """Members of entered teams of the competitions of activities held in the period."""
    return TeamMember.objects.filter(_held(period, "competition__activity__"), team__status=Team.Status.ACTIVE)


def _participants(signups, members) -> Q:
    return Q(pk__in=signups.values("cadre_id")) | Q(pk__in=members.values("cadre_id"))


class SubqueryCount(Subquery):
    """COUNT over a correlated queryset as a scalar subquery (no GROUP BY needed)."""

    def __init__(self, queryset, field: str = "pk", distinct: bool = False):
        template = "%(function)s(DISTINCT %(expressions)s)" if distinct else "%(function)s(%(expressions)s)"
        counted = queryset.order_by().annotate(n=Func(F(field), function="COUNT", template=template)).values("n")
        super().__init__(counted)


def _per_activity_counts() -> dict:
    """Correlated counts for one row per activity, each a handful of index lookups by activity.

    Distinct cadres over sign-ups and team members together use inclusion-exclusion, |A ∪ B| = |A| + |B| - |A ∩ B|:
    a cadre who signed up and also plays in a team is one cadre reached (a cadre holds at most one live sign-up per
    activity, so confirmed sign-ups are distinct cadres already). A Cadre subquery filtered by "signed up or in a
    team" would scan every cadre for every activity; units are few, so units reached are counted from the units.
    """
    activity = OuterRef("pk")
    confirmed = Q(status=Registration.Status.CONFIRMED)
    entered = Q(team__status=Team.Status.ACTIVE)
    signups = Registration.objects.filter(confirmed, activity=activity)
    members = TeamMember.objects.filter(entered, competition__activity=activity)
    also_in_a_team = Exists(
        TeamMember.objects.filter(entered, competition__activity=OuterRef("activity"), cadre=OuterRef("cadre"))
    )
    units_reached = Unit.objects.filter(is_active=True).filter(
        Exists(Registration.objects.filter(confirmed, activity=OuterRef(activity), cadre__unit=OuterRef("pk")))
        | Exists(
            TeamMember.objects.filter(entered, competition__activity=OuterRef(activity), cadre__unit=OuterRef("pk"))
        )
    )
    return {
        "competitions_n": SubqueryCount(Competition.objects.filter(activity=activity)),
        "teams_n": SubqueryCount(Team.objects.filter(competition__activity=activity, status=Team.Status.ACTIVE)),
        "signups_n": SubqueryCount(signups),
        "members_n": SubqueryCount(members),
        "cadres_n": SubqueryCount(signups)
        + SubqueryCount(members, "cadre", distinct=True)
        - SubqueryCount(signups.filter(also_in_a_team)),
        "units_n": SubqueryCount(units_reached),
    }


class ActivitiesContribution(ReportContribution):
    key = "activities"
    title = gettext_lazy("Activities")
    order = 10

    def reached_cadres(self, period):
        return _participants(sign_ups(period), team_places(period))

    def figures(self, period) -> dict:
        """Activities held, person-times, per kind, per unit (participations, medals, points) and per month.

        Seven queries: activities by kind, sign-ups and team members by kind, distinct cadres and units by kind,
        participations by unit (two), medals and points by unit, participations by month (two).
        """
        signups, members = sign_ups(period), team_places(period)
        held_by_kind = dict(held_activities(period).order_by().values_list("kind").annotate(n=Count("pk")))
        signups_by_kind = dict(signups.order_by().values_list("activity__kind").annotate(n=Count("pk")))
        members_by_kind = dict(members.order_by().values_list("competition__activity__kind").annotate(n=Count("pk")))
        reach = self._reach_by_kind(signups, members)
        rows = []
        for kind, label in Activity.Kind.choices:
            rows.append(
                {
                    "key": kind,
                    "label": str(label),
                    "activities_held": held_by_kind.get(kind, 0),
                    "participations": signups_by_kind.get(kind, 0) + members_by_kind.get(kind, 0),
                    "cadres_reached": reach[f"{kind}_cadres"],
                    "units_reached": reach[f"{kind}_units"],
                }
            )
        total = {
            "activities_held": sum(held_by_kind.values()),
            "participations": sum(signups_by_kind.values()) + sum(members_by_kind.values()),
            "cadres_reached": reach["all_cadres"],
            "units_reached": reach["all_units"],
        }
        return {
            **total,
            "individual_participations": sum(signups_by_kind.values()),
            "team_participations": sum(members_by_kind.values()),
            "breakdown": {
                "title": _("Activities by kind"),
                "label": _("Kind of activity"),
                "rows": rows,
                "total": total,
            },
            "units": self._by_unit(period, signups, members),
            "by_month": self._by_month(signups, members),
        }

    @staticmethod
    def _reach_by_kind(signups, members) -> dict:
        """Distinct cadres and distinct active units, per kind and overall, in one query over the participants."""
        aggregates = {}
        for kind in [*Activity.Kind.values, "all"]:
            if kind == "all":
                took_part = _participants(signups, members)
            else:
                took_part = _participants(
                    signups.filter(activity__kind=kind), members.filter(competition__activity__kind=kind)
                )
            aggregates[f"{kind}_cadres"] = Count("pk", filter=took_part)
            aggregates[f"{kind}_units"] = Count("unit", distinct=True, filter=took_part & Q(unit__is_active=True))
        return Cadre.objects.filter(_participants(signups, members)).aggregate(**aggregates)

    @staticmethod
    def _by_unit(period, signups, members) -> dict:
        units: dict = {}

        def row(unit_id):
            return units.setdefault(unit_id, {"participations": 0, "gold": 0, "silver": 0, "bronze": 0, "points": 0})

        for source in (signups, members):
            for unit_id, count in source.order_by().values_list("cadre__unit_id").annotate(n=Count("pk")):
                row(unit_id)["participations"] += count
        medals = (
            Placing.objects.filter(_held(period, "competition__activity__"))
            .order_by()
            .values_list("unit_id")
            .annotate(
                gold=Count("pk", filter=Q(place=1)),
                silver=Count("pk", filter=Q(place=2)),
                bronze=Count("pk", filter=Q(place=3)),
                points=Sum("points"),
            )
        )
        for unit_id, gold, silver, bronze, points in medals:
            row(unit_id).update(gold=gold, silver=silver, bronze=bronze, points=points or 0)
        return units

    @staticmethod
    def _by_month(signups, members) -> dict:
        months: dict = {}
        for source, field in ((signups, "activity__starts_at"), (members, "competition__activity__starts_at")):
            per_month = (
                source.order_by().annotate(month=ExtractMonth(field)).values_list("month").annotate(n=Count("pk"))
            )
            for month, count in per_month:
                months[month] = months.get(month, 0) + count
        return months

    def definitions(self):
        return [
            (
                _("Activity held"),
                _(
                    "An activity whose start falls in the period and whose status is published, registration "
                    "closed or finished; drafts and cancelled activities do not count."
                ),
            ),
            (
                _("Participations in activities"),
                _(
                    "Confirmed individual sign-ups plus members of entered (not withdrawn) teams of the "
                    "competitions of activities held; a cadre in three competitions counts three times. Credited "
                    "to the cadre's unit."
                ),
            ),
            (
                _("Medals and points"),
                _(
                    "Gold, silver and bronze are places 1, 2 and 3 of the competitions of activities held; points "
                    "are the team points of those placings. Credited to the placing's unit."
                ),
            ),
        ]

    def write_sheet(self, workbook, period, *, figures, writer) -> None:
        """One row per activity held, oldest first, streamed from one query with per-activity subquery counts."""
        sheet = writer(
            workbook,
            _("Activities"),
            [
                Column(_("Starts"), 11, "date"),
                Column(_("Activity"), 32),
                Column(_("Kind of activity"), 12),
                Column(_("Status"), 12),
                Column(_("Venue"), 20),
                Column(_("Competitions"), 10, "int"),
                Column(_("Teams"), 8, "int"),
                Column(_("Individual sign-ups"), 10, "int"),
                Column(_("Team members"), 10, "int"),
                Column(_("Participations (person-times)"), 14, "int"),
                Column(_("Cadres reached"), 10, "int"),
                Column(_("Units reached"), 10, "int"),
            ],
        )
        kinds, statuses = dict(Activity.Kind.choices), dict(Activity.Status.choices)
        rows = (
            held_activities(period)
            .order_by("starts_at", "pk")
            .annotate(**_per_activity_counts())
            .values_list(
                "starts_at",
                "title",
                "kind",
                "status",
                "venue",
                "competitions_n",
                "teams_n",
                "signups_n",
                "members_n",
                "cadres_n",
                "units_n",
            )
        )
        sums = [0] * 5
        for (
            starts_at,
            title,
            kind,
            status,
            venue,
            competitions,
            teams,
            signups_n,
            members_n,
            cadres,
            units,
        ) in rows.iterator(chunk_size=500):
            counts = (competitions, teams, signups_n, members_n, signups_n + members_n)
            labels = (str(kinds.get(kind, kind)), str(statuses.get(status, status)))
            sheet.row([starts_at, title, *labels, venue, *counts, cadres, units])
            sums = [a + b for a, b in zip(sums, counts, strict=True)]
        sheet.row(
            [_("Total"), "", "", "", "", *sums, figures.get("cadres_reached", 0), figures.get("units_reached", 0)],
            bold=True,
        )


register(ActivitiesContribution())
