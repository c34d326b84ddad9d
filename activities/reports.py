"""The activities' part of the summary workbook: activities held, person-times, reach, medals; one sheet.

Definitions (also written on the About sheet):
- an activity is *held* in a period when its start falls in the period and its status is published, registration
  closed or finished (drafts and cancelled activities do not count);
- *participations* (person-times, 人次) are confirmed individual registrations plus members of entered (not
  withdrawn) teams of the competitions of activities held; each team membership counts once, so a cadre in three
  competitions of a sports meet counts three times;
- *medals* are places 1, 2, 3 and *points* the sum of team points of the placings of those competitions, credited
  to the placing's unit; participations are credited to the unit the cadre was in during the period.

Every figure is an aggregate the database computes; the number of queries does not depend on the data.
"""

from django.db.models import Count, F, Func, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.reports.builder import Column
from portal.reports.registry import ReportContribution, participation_rows, register

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


class SubqueryCount(Subquery):
    """COUNT over a correlated queryset as a scalar subquery (no GROUP BY needed)."""

    def __init__(self, queryset, field: str = "pk", distinct: bool = False):
        template = "%(function)s(DISTINCT %(expressions)s)" if distinct else "%(function)s(%(expressions)s)"
        counted = queryset.order_by().annotate(n=Func(F(field), function="COUNT", template=template)).values("n")
        super().__init__(counted)


def _per_activity_counts() -> dict:
    """Correlated counts for one row per activity, each a handful of index lookups by activity; the distinct
    cadres and units come from the participation snapshot (figures["per_activity"])."""
    activity = OuterRef("pk")
    return {
        "competitions_n": SubqueryCount(Competition.objects.filter(activity=activity)),
        "teams_n": SubqueryCount(Team.objects.filter(competition__activity=activity, status=Team.Status.ACTIVE)),
        "signups_n": SubqueryCount(
            Registration.objects.filter(activity=activity, status=Registration.Status.CONFIRMED)
        ),
        "members_n": SubqueryCount(
            TeamMember.objects.filter(competition__activity=activity, team__status=Team.Status.ACTIVE)
        ),
    }


class ActivitiesContribution(ReportContribution):
    key = "activities"
    title = gettext_lazy("Activities")
    order = 10

    def participations(self, period):
        """Confirmed sign-ups and members of entered teams, per kind of activity and per activity."""
        return [
            participation_rows(
                sign_ups(period),
                cadre="cadre_id",
                category="activity__kind",
                when="activity__starts_at",
                item="activity_id",
            ),
            participation_rows(
                team_places(period),
                cadre="cadre_id",
                category="competition__activity__kind",
                when="competition__activity__starts_at",
                item="competition__activity_id",
            ),
        ]

    def figures(self, period, participation) -> dict:
        """Activities held per kind, the breakdown per kind (from the participation snapshot), medals and points
        per unit. Three queries: activities by kind, individual sign-ups (the rest are team places), medals."""
        held_by_kind = dict(held_activities(period).order_by().values_list("kind").annotate(n=Count("pk")))
        individual = sign_ups(period).count()
        rows = []
        for kind, label in Activity.Kind.choices:
            reach = participation.by_category.get(kind)
            rows.append(
                {
                    "key": kind,
                    "label": str(label),
                    "activities_held": held_by_kind.get(kind, 0),
                    "participations": reach.participations if reach else 0,
                    "cadres_reached": reach.cadres_reached if reach else 0,
                    "units_reached": reach.units_reached if reach else 0,
                }
            )
        total = {"activities_held": sum(held_by_kind.values()), **participation.total.as_dict()}
        return {
            **total,
            "individual_participations": individual,
            "team_participations": participation.total.participations - individual,
            "breakdown": {
                "title": _("Activities by kind"),
                "label": _("Kind of activity"),
                "rows": rows,
                "total": total,
            },
            "units": self._medals_by_unit(period),
            "per_activity": participation.by_item,
        }

    @staticmethod
    def _medals_by_unit(period) -> dict:
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
        return {
            unit_id: {"gold": gold, "silver": silver, "bronze": bronze, "points": points or 0}
            for unit_id, gold, silver, bronze, points in medals
        }

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
        """One row per activity held, oldest first, streamed from one query with per-activity subquery counts;
        cadres and units reached per activity come from the snapshot (as of the period)."""
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
                "pk",
                "starts_at",
                "title",
                "kind",
                "status",
                "venue",
                "competitions_n",
                "teams_n",
                "signups_n",
                "members_n",
            )
        )
        per_activity = figures.get("per_activity", {})
        sums = [0] * 5
        for (
            pk,
            starts_at,
            title,
            kind,
            status,
            venue,
            competitions,
            teams,
            signups_n,
            members_n,
        ) in rows.iterator(chunk_size=500):
            reach = per_activity.get(pk)
            cadres, units = (reach.cadres_reached, reach.units_reached) if reach else (0, 0)
            counts = (competitions, teams, signups_n, members_n, signups_n + members_n)
            labels = (str(kinds.get(kind, kind)), str(statuses.get(status, status)))
            sheet.row([starts_at, title, *labels, venue, *counts, cadres, units])
            sums = [a + b for a, b in zip(sums, counts, strict=True)]
        sheet.row(
            [_("Total"), "", "", "", "", *sums, figures.get("cadres_reached", 0), figures.get("units_reached", 0)],
            bold=True,
        )


register(ActivitiesContribution())
