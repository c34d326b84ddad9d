"""Results: match scores (with set-by-set checks), knockout advancement, ranked results, judges' scores, publishing.

Staff and the referees assigned to a competition enter results. Every change is audited with its old and new
values and recomputes the competition's placings (activities.services.placings) in the same transaction, so the
medal table never disagrees with the results it is made of. Results stay off the public pages until staff
publish them (competition_publish_results).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one, lock_rows
from portal.permissions import is_committee_staff

from ..models import Competition, JudgeScore, Match, RankedResult, Team
from .placings import competition_compute_placings, competition_has_results, group_tables

DECIDED_STATUSES = (Match.Status.PLAYED, Match.Status.WALKOVER)
KNOCKOUT_STAGES = (Match.Stage.KNOCKOUT, Match.Stage.THIRD_PLACE)
MAX_SCORE = 999
MAX_SETS = 9
MAX_SET_POINTS = 99
DETAIL_KEYS = {"sets", "note"}
# Keys of Match.detail that the services own: the group places feeding a knockout slot, the walkover flag.
KEPT_DETAIL_KEYS = ("feed",)
DEFAULT_JUDGE_SCORE_MAX = Decimal(100)
RANKED_MAX = Decimal("9999999.999")


class ResultError(PortalError):
    """A result that cannot be right, or cannot be entered now."""


# --- Who may enter results -----------------------------------------------------------------------------------------


def can_enter_results(user, competition: Competition) -> bool:
    """Committee staff, or a referee assigned to this competition."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_committee_staff(user):
        return True
    return competition.referees.filter(pk=user.pk).exists()


def _require_result_rights(actor, competition: Competition) -> None:
    if not can_enter_results(actor, competition):
        raise NotPermitted(_("Only committee staff and this competition's referees can enter its results."))


def _lock_competition(competition_id: int) -> None:
    """Lock the competition row first, as the registration services do (competition, then its teams and matches),
    so that a result and a withdrawal or substitution on the same competition queue up instead of deadlocking."""
    lock_one(Competition.objects.values_list("pk", flat=True), competition_id)


# --- Set-by-set rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetRule:
    """How a set is won: at `points` with a lead of two, at most `cap` points, `deciding` points in a deciding set."""

    name: object  # a lazily translated sport name
    points: int
    cap: int | None = None
    deciding: int | None = None


TABLE_TENNIS = SetRule(gettext_lazy("table tennis"), 11)
BADMINTON = SetRule(gettext_lazy("badminton"), 21, cap=30)
VOLLEYBALL = SetRule(gettext_lazy("volleyball"), 25, deciding=15)
# Discipline words -> rule; None means "sets, but no fixed points rule we know" (first match wins, so the more
# specific words come first: 气排球 is played to 21, not 25).
SET_RULE_WORDS = (
    (("气排球", "air volleyball", "soft volleyball"), None),
    (("乒乓", "table tennis", "ping pong", "ping-pong"), TABLE_TENNIS),
    (("羽毛球", "badminton"), BADMINTON),
    (("排球", "volleyball"), VOLLEYBALL),
)


def _sport_text(competition: Competition) -> str:
    return (competition.discipline or competition.name).lower()


def set_rule_for(competition: Competition) -> SetRule | None:
    """The set rule of the competition's discipline (read from its discipline, else its name), or None."""
    text = _sport_text(competition)
    for words, rule in SET_RULE_WORDS:
        if any(word in text for word in words):
            return rule
    return None


def is_set_sport(competition: Competition) -> bool:
    """Sports decided in sets have no drawn matches."""
    text = _sport_text(competition)
    return any(word in text for words, _rule in SET_RULE_WORDS for word in words)


def _check_set(number: int, home: int, away: int, rule: SetRule, *, deciding: bool) -> None:
    points = rule.deciding if deciding and rule.deciding else rule.points
    won, lost = max(home, away), min(home, away)
    if won == points:
        possible = lost <= points - 2
    else:
        # Past the target a set goes on until one side leads by two, or (badminton) someone reaches the cap.
        possible = won > points and (lost == won - 2 or (rule.cap is not None and won == rule.cap and lost == won - 1))
    if rule.cap is not None and won > rule.cap:
        possible = False
    if not possible:
        raise ResultError(
            _(
                "Set %(number)d (%(home)d:%(away)d) is not a possible %(sport)s score: a set is won at %(points)d "
                "points with a lead of two."
            )
            % {"number": number, "home": home, "away": away, "sport": rule.name, "points": points}
        )


def validate_sets(sets, *, home_score: int, away_score: int, rule: SetRule | None) -> list[list[int]]:
    """Check set scores against the match score: the sets each side won must add up to its score.

    Each set is a pair of whole numbers (home, away), not level; the last set is won by the match winner; with a
    known rule (table tennis, badminton, volleyball) every set must be a possible score. Returns the sets as lists.
    Raises ResultError.
    """
    if not isinstance(sets, list | tuple) or not sets:
        raise ResultError(_("Give the set scores as a list of pairs, e.g. 11:7, 9:11, 11:5."))
    if len(sets) > MAX_SETS:
        raise ResultError(_("A match has at most %(max)d sets.") % {"max": MAX_SETS})
    cleaned = []
    won = [0, 0]
    for number, pair in enumerate(sets, start=1):
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= MAX_SET_POINTS for p in pair)
        ):
            raise ResultError(
                _("Set %(number)d is not two whole numbers between 0 and %(max)d.")
                % {"number": number, "max": MAX_SET_POINTS}
            )
        home, away = pair
        if home == away:
            raise ResultError(
                _("Set %(number)d is level (%(home)d:%(away)d); a set has a winner.")
                % {
                    "number": number,
                    "home": home,
                    "away": away,
                }
            )
        if rule is not None:
            deciding = number == len(sets) and won[0] == won[1] and number > 2
            _check_set(number, home, away, rule, deciding=deciding)
        won[0 if home > away else 1] += 1
        cleaned.append([home, away])
    if won != [home_score, away_score]:
        raise ResultError(
            _("The set scores give %(home)d:%(away)d in sets, but the match score is %(home_score)d:%(away_score)d.")
            % {"home": won[0], "away": won[1], "home_score": home_score, "away_score": away_score}
        )
    last_home, last_away = cleaned[-1]
    if home_score != away_score and (last_home > last_away) != (home_score > away_score):
        raise ResultError(_("The last set must be won by the winner of the match: play stops when the match is won."))
    return cleaned


def _score(value, side: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResultError(_("The %(side)s score must be a whole number.") % {"side": side})
    if value < 0:
        raise ResultError(_("The %(side)s score cannot be negative.") % {"side": side})
    if value > MAX_SCORE:
        raise ResultError(_("The %(side)s score cannot be above %(max)d.") % {"side": side, "max": MAX_SCORE})
    return value


def _clean_detail(detail, *, home_score: int, away_score: int, rule: SetRule | None) -> dict:
    if detail in (None, ""):
        return {}
    if not isinstance(detail, dict):
        raise ResultError(_('The score detail must be an object such as {"sets": [[11, 7], [9, 11]]}.'))
    unknown = sorted(set(detail) - DETAIL_KEYS)
    if unknown:
        raise ResultError(_("Unknown score detail: %(keys)s.") % {"keys": ", ".join(unknown)})
    cleaned = {}
    if detail.get("sets"):
        cleaned["sets"] = validate_sets(detail["sets"], home_score=home_score, away_score=away_score, rule=rule)
    note = detail.get("note")
    if note:
        if not isinstance(note, str) or len(note) > 200:
            raise ResultError(_("The note is text of at most 200 characters."))
        cleaned["note"] = note.strip()
    return cleaned


# --- Match results ----------------------------------------------------------------------------------------------


def _result_values(match: Match) -> dict:
    return {
        "status": match.status,
        "home_score": match.home_score,
        "away_score": match.away_score,
        "winner": match.winner_id,
        "detail": {k: v for k, v in match.detail.items() if k not in KEPT_DETAIL_KEYS},
    }


def _ready_match(match: Match, actor) -> Match:
    _lock_competition(Match.objects.values_list("competition_id", flat=True).get(pk=match.pk))
    match = lock_one(Match, match.pk, select_related=["competition__activity", "home", "away"])
    _require_result_rights(actor, match.competition)
    if match.status in (Match.Status.BYE, Match.Status.CANCELLED):
        raise ResultError(
            _("%(match)s is a %(status)s: it has no result.") % {"match": match, "status": match.get_status_display()}
        )
    if match.home_id is None or match.away_id is None:
        raise ResultError(_("Both teams of this match are not known yet, so it cannot have a result."))
    if match.scheduled_at is None:
        raise ResultError(_("This match is not scheduled yet: give it a date and time before entering its result."))
    return match


@transaction.atomic
def match_record_result(*, actor, match: Match, home_score, away_score, detail=None, walkover_winner=None) -> Match:
    """Enter or correct a match's result (staff or the competition's referees).

    The match must be scheduled (a date and time) with both teams known. Scores are whole numbers 0..999; a
    knockout match, and any match in a sport played in sets, needs a winner. `detail` may hold {"sets": [[11, 7],
    ...], "note": "..."}; the sets must produce the match score (see validate_sets). `walkover_winner` (a team of
    the match) records a walkover: scores default to 1:0 for the winner. In a knockout the winner moves into its
    next slot, and a semi-final loser into the third-place match; a corrected result whose winner changed moves
    the new winner there, unless that later match already has a result (then ResultError: correct that one
    first). When the last group match is in, the group qualifiers fill the knockout. Audited (old and new);
    placings are recomputed. Raises NotPermitted or ResultError, and nothing is saved.
    """
    match = _ready_match(match, actor)
    competition = match.competition
    knockout = match.stage in KNOCKOUT_STAGES
    rule = set_rule_for(competition)
    if walkover_winner is not None:
        winner_id = getattr(walkover_winner, "pk", walkover_winner)
        if winner_id not in (match.home_id, match.away_id):
            raise ResultError(_("The walkover winner must be one of the two teams of the match."))
        if home_score is None and away_score is None:
            home_score, away_score = (1, 0) if winner_id == match.home_id else (0, 1)
        home_score, away_score = _score(home_score, _("home")), _score(away_score, _("away"))
        if (home_score > away_score) != (winner_id == match.home_id) or home_score == away_score:
            raise ResultError(_("In a walkover the winner has the higher score."))
        status, new_detail = Match.Status.WALKOVER, {"walkover": True}
    else:
        if home_score is None or away_score is None:
            raise ResultError(_("Enter both scores."))
        home_score, away_score = _score(home_score, _("home")), _score(away_score, _("away"))
        if home_score == away_score and knockout:
            raise ResultError(_("A knockout match cannot end level: it needs a winner."))
        if home_score == away_score and is_set_sport(competition):
            raise ResultError(_("A match played in sets cannot end level."))
        status = Match.Status.PLAYED
        new_detail = _clean_detail(detail, home_score=home_score, away_score=away_score, rule=rule)
    new_detail.update({k: match.detail[k] for k in KEPT_DETAIL_KEYS if k in match.detail})
    if home_score > away_score:
        winner_id, loser_id = match.home_id, match.away_id
    elif away_score > home_score:
        winner_id, loser_id = match.away_id, match.home_id
    else:
        winner_id = loser_id = None

    old = _result_values(match)
    match.status, match.home_score, match.away_score = status, home_score, away_score
    match.detail, match.winner_id = new_detail, winner_id
    new = _result_values(match)
    if old == new:
        return match
    match.save(update_fields=["status", "home_score", "away_score", "detail", "winner", "updated_at"])
    if knockout:
        _move_on(match, winner_id, loser_id)
    audit_record(actor=actor, action="match.result", obj=match, changes={"old": old, "new": new})
    if match.stage == Match.Stage.GROUP:
        _feed_knockout_from_groups(competition)
    competition_compute_placings(competition=competition)
    return match


@transaction.atomic
def match_clear_result(*, actor, match: Match) -> Match:
    """Take back a match's result (staff or the competition's referees): the match is scheduled again.

    A knockout winner (and loser) is taken out of the later slots, which is refused while a later match that
    depends on it has a result. Audited; placings recomputed. Raises NotPermitted or ResultError.
    """
    _lock_competition(Match.objects.values_list("competition_id", flat=True).get(pk=match.pk))
    match = lock_one(Match, match.pk, select_related=["competition__activity"])
    _require_result_rights(actor, match.competition)
    if match.status not in DECIDED_STATUSES:
        raise ResultError(_("This match has no result to clear."))
    old = _result_values(match)
    match.status, match.home_score, match.away_score, match.winner_id = Match.Status.SCHEDULED, None, None, None
    match.detail = {k: match.detail[k] for k in KEPT_DETAIL_KEYS if k in match.detail}
    match.save(update_fields=["status", "home_score", "away_score", "detail", "winner", "updated_at"])
    if match.stage in KNOCKOUT_STAGES:
        _move_on(match, None, None)
    audit_record(
        actor=actor, action="match.result_clear", obj=match, changes={"old": old, "new": _result_values(match)}
    )
    if match.stage == Match.Stage.GROUP:
        _feed_knockout_from_groups(match.competition)
    competition_compute_placings(competition=match.competition)
    return match


def _move_on(match: Match, winner_id: int | None, loser_id: int | None) -> None:
    """Put the winner (and loser, for the third-place match) into the later slots this match feeds."""
    if match.next_match_id:
        _place_team(match.next_match_id, match.next_side, winner_id)
    if match.loser_next_match_id:
        _place_team(match.loser_next_match_id, match.loser_next_side, loser_id)


def _place_team(target_id: int, side: str, team_id: int | None) -> None:
    target = lock_one(Match, target_id)
    if getattr(target, f"{side}_id") == team_id:
        return
    if target.status in DECIDED_STATUSES:
        raise ResultError(
            _(
                "This change would replace a team in a later match that already has a result (round %(round)d, "
                "%(match)s). Correct or clear that result first."
            )
            % {"round": target.round_no, "match": target}
        )
    setattr(target, f"{side}_id", team_id)
    if target.status == Match.Status.BYE:
        # A bye's only team is its winner and moves straight on.
        target.winner_id = target.home_id
        target.save(update_fields=[f"{side}", "winner", "updated_at"])
        _move_on(target, target.winner_id, None)
        return
    target.save(update_fields=[f"{side}", "updated_at"])


def _feed_knockout_from_groups(competition: Competition) -> None:
    """Fill (or empty) the knockout's first round from the group tables once every group match has a result.

    Each first-round knockout match stores the group places feeding it in detail["feed"] (set by the draw).
    While a group result is missing the fed slots stay empty. Raises ResultError when a changed group result
    would change a qualifier of a knockout match that already has a result.
    """
    group_matches = Match.objects.filter(competition=competition, stage=Match.Stage.GROUP).exclude(
        status__in=(Match.Status.BYE, Match.Status.CANCELLED)
    )
    complete = not group_matches.exclude(status__in=DECIDED_STATUSES).exists()
    tables = group_tables(competition) if complete else {}
    first_round = lock_rows(Match.objects.filter(competition=competition, stage=Match.Stage.KNOCKOUT, round_no=1))
    for match in sorted(first_round, key=lambda m: m.slot):
        feed = match.detail.get("feed") or {}
        for side in ("home", "away"):
            if side not in feed:
                continue
            group, place = feed[side]
            rows = tables.get(group, [])
            wanted = rows[place - 1].entry if complete and len(rows) >= place else None
            if getattr(match, f"{side}_id") == wanted:
                continue
            if match.status in DECIDED_STATUSES:
                raise ResultError(
                    _(
                        "This change would alter who qualified from group %(group)s for a knockout match that "
                        "already has a result (%(match)s). Correct or clear that result first."
                    )
                    % {"group": group, "match": match}
                )
            _place_team(match.pk, side, wanted)
            match.refresh_from_db()


# --- Ranked and judged events -----------------------------------------------------------------------------------


def _locked_team(team: Team, actor, expected_format: str) -> Team:
    _lock_competition(Team.objects.values_list("competition_id", flat=True).get(pk=team.pk))
    team = lock_one(Team, team.pk, select_related=["competition__activity"])
    _require_result_rights(actor, team.competition)
    if team.competition.format != expected_format:
        raise ResultError(
            _("%(competition)s is not a %(format)s event.")
            % {"competition": team.competition, "format": Competition.Format(expected_format).label}
        )
    if team.status != Team.Status.ACTIVE:
        raise ResultError(_("%(team)s has withdrawn and cannot have a result.") % {"team": team})
    return team


def _decimal(value, *, places: int, label: str) -> Decimal:
    if isinstance(value, bool):
        raise ResultError(_("%(label)s must be a number.") % {"label": label})
    # Through str(): a float would otherwise carry its binary noise (0.1 + 0.2) into a published result.
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ResultError(_("%(label)s must be a number.") % {"label": label}) from error
    if not number.is_finite():
        raise ResultError(_("%(label)s must be a number.") % {"label": label})
    if number < 0:
        raise ResultError(_("%(label)s cannot be negative.") % {"label": label})
    if -number.as_tuple().exponent > places:
        raise ResultError(_("%(label)s has at most %(places)d decimals.") % {"label": label, "places": places})
    return number


@transaction.atomic
def ranked_result_record(*, actor, team: Team, value, note: str = "") -> RankedResult:
    """Enter or correct one team's result in a ranked event (staff or the competition's referees).

    `value` is a time, distance or score: a number >= 0 with at most three decimals, or None together with a
    note such as "DNF" (no result: ranked after everyone, no placing). Audited (old and new); placings are
    recomputed. Raises NotPermitted or ResultError.
    """
    team = _locked_team(team, actor, Competition.Format.RANKED)
    note = (note or "").strip()
    if len(note) > 60:
        raise ResultError(_("The note has at most 60 characters."))
    if value is None or value == "":
        if not note:
            raise ResultError(_("Without a result, give a note such as DNF (did not finish) or DNS (did not start)."))
        number = None
    else:
        number = _decimal(value, places=3, label=_("The result"))
        if number > RANKED_MAX:
            raise ResultError(_("The result is too large."))
    result = lock_one(RankedResult.objects.filter(team=team), missing_ok=True)
    old = {"value": None, "note": None}
    if result is not None:
        old = {"value": str(result.value) if result.value is not None else None, "note": result.note}
    if result is None:
        result = RankedResult(team=team)
    result.value, result.note = number, note
    new = {"value": str(number) if number is not None else None, "note": note}
    if old == new:
        return result
    result.full_clean()
    result.save()
    audit_record(actor=actor, action="ranked_result.record", obj=result, changes={"old": old, "new": new})
    competition_compute_placings(competition=team.competition)
    return result


def judge_score_max() -> Decimal:
    return Decimal(str(getattr(settings, "ACTIVITIES_JUDGE_SCORE_MAX", DEFAULT_JUDGE_SCORE_MAX)))


@transaction.atomic
def judge_score_record(*, actor, team: Team, judge: str, score) -> JudgeScore:
    """Enter or correct one judge's score for one team in a judged event (staff or the competition's referees).

    `score` is a number from 0 to ACTIVITIES_JUDGE_SCORE_MAX (default 100) with at most two decimals; `judge` is
    the judge's name (one score per judge and team). Audited (old and new); placings are recomputed.
    Raises NotPermitted or ResultError.
    """
    team = _locked_team(team, actor, Competition.Format.JUDGED)
    judge = (judge or "").strip()
    if not judge:
        raise ResultError(_("Name the judge."))
    if len(judge) > 60:
        raise ResultError(_("The judge's name has at most 60 characters."))
    number = _decimal(score, places=2, label=_("The score"))
    maximum = judge_score_max()
    if number > maximum:
        raise ResultError(_("The score cannot be above %(max)s.") % {"max": maximum})
    existing = lock_one(JudgeScore.objects.filter(team=team, judge=judge), missing_ok=True)
    old = {"judge": judge, "score": str(existing.score) if existing else None}
    new = {"judge": judge, "score": str(number)}
    if existing is not None and existing.score == number:
        return existing
    score_row = existing or JudgeScore(team=team, judge=judge)
    score_row.score = number
    score_row.full_clean(validate_constraints=False)
    score_row.save()
    audit_record(actor=actor, action="judge_score.record", obj=score_row, changes={"old": old, "new": new})
    competition_compute_placings(competition=team.competition)
    return score_row


# --- Publishing -------------------------------------------------------------------------------------------------


@transaction.atomic
def competition_publish_results(*, actor, competition: Competition, published: bool = True) -> Competition:
    """Show (or hold back) a competition's results on the public pages. Staff only; audited when it changes.

    Publishing a competition that has no result yet is refused (ResultError): there would be nothing to show, and
    a published flag set early would show each result the moment it is entered, before anyone checked it.
    """
    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can publish results."))
    competition = lock_one(Competition, competition.pk)
    if competition.results_published == published:
        return competition
    if published and not competition_has_results(competition):
        raise ResultError(
            _("%(competition)s has no results yet; there is nothing to publish.") % {"competition": competition.name}
        )
    competition.results_published = published
    competition.save(update_fields=["results_published", "updated_at"])
    audit_record(
        actor=actor,
        action="competition.publish_results" if published else "competition.unpublish_results",
        obj=competition,
        changes={"old": {"results_published": not published}, "new": {"results_published": published}},
    )
    return competition
