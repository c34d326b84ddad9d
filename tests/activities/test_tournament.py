"""Pure tournament logic: draw plans, league tables, rankings, medals. No database.

hypothesis is not installed, so properties are checked by looping over every size in a range.
"""

import itertools
import math
from collections import Counter
from decimal import Decimal

import pytest

from activities.tournament import (
    KnockoutFeed,
    MatchOutcome,
    Placing,
    bracket_order,
    compute_standings,
    groups_then_knockout,
    judged_scores,
    knockout,
    medal_table,
    placing_points,
    placings_from_knockout,
    rank_values,
    round_robin,
    snake_groups,
    team_points,
)


def ids(n):
    """Entry ids that are neither 0-based nor contiguous, so an index can never pass for an id."""
    return [100 + 7 * i for i in range(n)]


# --- round robin -----------------------------------------------------------------------------------------------------


def by_round(matches):
    rounds = {}
    for match in matches:
        rounds.setdefault(match.round_no, []).append(match)
    return rounds


@pytest.mark.parametrize("double", [False, True])
def test_round_robin_every_pair_meets_once_or_twice_and_nobody_plays_twice_in_a_round(double):
    for n in range(2, 34):
        entries = ids(n)
        matches = round_robin(entries, double=double)
        single_rounds = n - 1 if n % 2 == 0 else n
        rounds = by_round(matches)
        assert sorted(rounds) == list(range(1, (2 if double else 1) * single_rounds + 1)), n

        pairs = Counter(frozenset((m.home, m.away)) for m in matches)
        assert set(pairs) == {frozenset(p) for p in itertools.combinations(entries, 2)}, n
        assert set(pairs.values()) == {2 if double else 1}, n
        if double:
            # Once at home and once away against each opponent.
            assert len({(m.home, m.away) for m in matches}) == len(matches), n

        for round_no, round_matches in rounds.items():
            playing = [e for m in round_matches for e in (m.home, m.away)]
            assert len(playing) == len(set(playing)), (n, round_no)
            assert None not in playing
            # Odd n: exactly one entry rests each round (the dropped bye pairing).
            assert len(playing) == n - n % 2, (n, round_no)
            assert [m.slot for m in round_matches] == list(range(len(round_matches)))
        if n % 2:
            resting = Counter(
                e for ms in rounds.values() for e in set(entries) - {x for m in ms for x in (m.home, m.away)}
            )
            assert resting == Counter({e: 2 if double else 1 for e in entries}), n
        assert all(m.stage == "group" and m.next_slot is None and not m.is_bye for m in matches)


def home_away_sequences(matches, entries):
    sequences = {e: [] for e in entries}
    for match in sorted(matches, key=lambda m: (m.round_no, m.slot)):
        sequences[match.home].append("H")
        sequences[match.away].append("A")
    return sequences


def test_round_robin_home_and_away_are_balanced_and_alternate():
    for n in range(2, 34):
        sequences = home_away_sequences(round_robin(ids(n)), ids(n))
        breaks = 0
        for entry, seq in sequences.items():
            assert len(seq) == n - 1
            difference = seq.count("H") - seq.count("A")
            runs = [len(list(group)) for _, group in itertools.groupby(seq)]
            if n % 2:
                # Odd n: perfectly even, and strictly alternating over the matches actually played.
                assert difference == 0, (n, entry, seq)
                assert max(runs) == 1, (n, entry, seq)
            else:
                # Even n: n - 1 matches is odd, so one more of one kind is the best possible.
                assert abs(difference) == 1, (n, entry, seq)
                assert max(runs) <= 2, (n, entry, seq)
            breaks += sum(run - 1 for run in runs)
        # n - 2 breaks is the proven minimum for an even n (de Werra); zero for odd n.
        assert breaks == (n - 2 if n % 2 == 0 else 0), n


def test_double_round_robin_gives_everyone_as_many_home_as_away_matches():
    for n in range(2, 34):
        for entry, seq in home_away_sequences(round_robin(ids(n), double=True), ids(n)).items():
            assert seq.count("H") == seq.count("A") == n - 1, (n, entry)


def test_round_robin_labels_the_group_and_fixes_the_first_entry_for_even_counts():
    matches = round_robin([1, 2, 3, 4], group="B")
    assert {m.group for m in matches} == {"B"}
    # The fixed first entry plays in slot 0 of every round, alternating home and away.
    assert [(m.home, m.away) for m in matches if m.slot == 0] == [(1, 2), (3, 1), (1, 4)]


@pytest.mark.parametrize("entries", [[], [5], [1, 2, 2]])
def test_round_robin_rejects_too_few_or_repeated_entries(entries):
    with pytest.raises(ValueError):
        round_robin(entries)


# --- knockout --------------------------------------------------------------------------------------------------------


def path_to_final(matches, start):
    """Knockout matches (round_no, slot) from `start` to the final, following next_slot."""
    by_key = {(m.round_no, m.slot): m for m in matches if m.stage == "knockout"}
    path, match = [], by_key[start]
    while True:
        path.append((match.round_no, match.slot))
        if match.next_slot is None:
            return path
        match = by_key[match.next_slot[:2]]


def first_round_slot(matches, entry):
    return next(m.slot for m in matches if m.round_no == 1 and m.stage == "knockout" and entry in (m.home, m.away))


def test_bracket_order_is_the_standard_seeding():
    assert bracket_order(2) == [1, 2]
    assert bracket_order(4) == [1, 4, 2, 3]
    assert bracket_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]
    with pytest.raises(ValueError):
        bracket_order(6)


def test_knockout_rounds_byes_and_seeding():
    for n in range(2, 131):
        entries = ids(n)
        matches = knockout(entries)
        size = 2 ** math.ceil(math.log2(n))
        rounds = math.ceil(math.log2(n))
        assert max(m.round_no for m in matches) == rounds, n
        assert len(matches) == size - 1, n
        assert all(m.stage == "knockout" and m.loser_next_slot is None for m in matches)

        first = [m for m in matches if m.round_no == 1]
        assert len(first) == size // 2
        assert sorted(e for m in first for e in (m.home, m.away) if e is not None) == sorted(entries), n
        byes = [m for m in first if m.is_bye]
        assert len(byes) == size - n, n
        assert all(m.away is None and m.home is not None for m in byes)
        assert not any(m.away is None for m in first if not m.is_bye)
        # The byes go to the top seeds.
        assert sorted(m.home for m in byes) == sorted(entries[: size - n]), n
        assert all(m.home is None and m.away is None for m in matches if m.round_no > 1)

        # Seeds 1..2^k sit in different 1/2^k-ths of the bracket: two seeds i < j can meet no earlier than round
        # rounds + 1 - ceil(log2 j) (seeds 1-2 in the final, 1-4 in the semi-finals, 1-8 in the quarter-finals...).
        paths = {
            seed: path_to_final(matches, (1, first_round_slot(matches, entries[seed - 1])))
            for seed in range(1, min(n, 16) + 1)
        }
        for i, j in itertools.combinations(paths, 2):
            meeting = min(r for r, _ in set(paths[i]) & set(paths[j]))
            assert meeting >= rounds + 1 - math.ceil(math.log2(j)), (n, i, j)
        if n > 2:
            half = size // 4  # first-round matches per half
            assert first_round_slot(matches, entries[0]) // half != first_round_slot(matches, entries[1]) // half, n
        if n > 4:
            quarter = size // 8
            quarters = {first_round_slot(matches, entries[s]) // quarter for s in range(4)}
            assert len(quarters) == 4, n


def test_knockout_wiring_forms_a_tree_ending_in_the_final():
    for n in range(2, 131):
        matches = knockout(ids(n))
        rounds = max(m.round_no for m in matches)
        keys = {(m.round_no, m.slot) for m in matches}
        fed = Counter()
        for match in matches:
            if match.round_no == rounds:
                assert match.next_slot is None and match.slot == 0, n
                continue
            round_no, slot, side = match.next_slot
            assert (round_no, slot) in keys and round_no == match.round_no + 1, n
            assert slot == match.slot // 2 and side == ("home" if match.slot % 2 == 0 else "away"), n
            fed[round_no, slot, side] += 1
        # Every later match is fed exactly once on each side; every first-round match reaches the final.
        later = [(m.round_no, m.slot) for m in matches if m.round_no > 1]
        assert fed == Counter({(r, s, side): 1 for r, s in later for side in ("home", "away")}), n
        for match in matches:
            assert path_to_final(matches, (match.round_no, match.slot))[-1] == (rounds, 0)


def test_knockout_third_place_match_takes_both_semi_final_losers():
    for n in range(4, 131):
        matches = knockout(ids(n), third_place=True)
        rounds = math.ceil(math.log2(n))
        third = [m for m in matches if m.stage == "third_place"]
        assert len(third) == 1 and (third[0].round_no, third[0].slot) == (rounds, 0), n
        assert third[0].next_slot is None and third[0].home is None and third[0].away is None
        semis = sorted((m for m in matches if m.stage == "knockout" and m.round_no == rounds - 1), key=lambda m: m.slot)
        assert [m.loser_next_slot for m in semis] == [(rounds, 0, "home"), (rounds, 0, "away")], n
        assert [m for m in matches if m.loser_next_slot and m not in semis] == []


def test_knockout_places_seeds_as_expected_for_five_entries():
    matches = knockout([11, 12, 13, 14, 15])
    first = [(m.home, m.away, m.is_bye) for m in matches if m.round_no == 1]
    assert first == [(11, None, True), (14, 15, False), (12, None, True), (13, None, True)]


@pytest.mark.parametrize(("entries", "third_place"), [([], False), ([1], False), ([1, 1], False), ([1, 2, 3], True)])
def test_knockout_rejects_bad_input(entries, third_place):
    with pytest.raises(ValueError):
        knockout(entries, third_place=third_place)


# --- snake groups ----------------------------------------------------------------------------------------------------


def test_snake_groups_deal_in_snake_order():
    groups = snake_groups(range(1, 17), 4)
    assert groups == {"A": [1, 8, 9, 16], "B": [2, 7, 10, 15], "C": [3, 6, 11, 14], "D": [4, 5, 12, 13]}
    dealt = {entry: label for label, members in groups.items() for entry in members}
    assert "".join(dealt[seed] for seed in range(1, 9)) == "ABCDDCBA"


def test_snake_groups_sizes_are_balanced_and_keep_seed_order():
    for n in range(2, 61):
        entries = ids(n)
        for group_count in range(1, min(n // 2, 26) + 1):
            groups = snake_groups(entries, group_count)
            assert list(groups) == [chr(ord("A") + i) for i in range(group_count)]
            sizes = [len(members) for members in groups.values()]
            assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 2, (n, group_count)
            assert sorted(e for members in groups.values() for e in members) == sorted(entries)
            assert all(members == sorted(members, key=entries.index) for members in groups.values())


@pytest.mark.parametrize(("n", "group_count"), [(8, 0), (8, 5), (3, 2), (60, 27), (1, 1)])
def test_snake_groups_rejects_impossible_group_counts(n, group_count):
    with pytest.raises(ValueError):
        snake_groups(range(n), group_count)


# --- groups then knockout --------------------------------------------------------------------------------------------


def test_groups_then_knockout_keeps_group_mates_apart_in_the_first_knockout_round():
    for group_count in range(2, 27):
        for advance in range(1, 5):
            for per_group in {advance, advance + 1, 5}:
                if per_group < max(advance, 2):
                    continue
                entries = ids(group_count * per_group)
                plan = groups_then_knockout(entries, group_count=group_count, advance_per_group=advance)
                case = (group_count, advance, per_group)
                feeds = Counter((f.group, f.place) for f in plan.feeds)
                assert feeds == Counter({(g, p): 1 for g in plan.groups for p in range(1, advance + 1)}), case

                sides = {}
                for feed in plan.feeds:
                    sides.setdefault(feed.slot, {})[feed.side] = feed
                for slot, pair in sides.items():
                    if len(pair) == 2:
                        # Never a group winner against its own runner-up, nor any two group mates.
                        assert pair["home"].group != pair["away"].group, (case, slot)
                        assert pair["home"].place <= pair["away"].place, (case, slot)
                    else:
                        assert set(pair) == {"home"}, (case, slot)
                # Byes go to the best places: group winners first, then runners-up (when the byes outnumber groups).
                bye_places = [pair["home"].place for pair in sides.values() if len(pair) == 1]
                playing_places = [f.place for pair in sides.values() if len(pair) == 2 for f in pair.values()]
                assert not bye_places or max(bye_places) <= min(playing_places), case

                knockout_matches = [m for m in plan.matches if m.stage != "group"]
                assert all(m.home is None and m.away is None for m in knockout_matches)
                byes = {m.slot for m in knockout_matches if m.is_bye}
                assert byes == {slot for slot, pair in sides.items() if len(pair) == 1}, case
                if advance == 2:
                    # Winner and runner-up of a group can meet only in the final.
                    final_round = max(m.round_no for m in knockout_matches)
                    for label in plan.groups:
                        a, b = (path_to_final(knockout_matches, (1, f.slot)) for f in plan.feeds if f.group == label)
                        assert min(r for r, _ in set(a) & set(b)) == final_round, (case, label)


def test_groups_then_knockout_plans_group_round_robins_and_the_classic_crossover():
    plan = groups_then_knockout(range(1, 17), group_count=4, advance_per_group=2, third_place=True)
    groups, matches, feeds = plan
    assert groups == snake_groups(range(1, 17), 4)
    group_matches = [m for m in matches if m.stage == "group"]
    for label, members in groups.items():
        mine = [m for m in group_matches if m.group == label]
        assert {frozenset((m.home, m.away)) for m in mine} == {frozenset(p) for p in itertools.combinations(members, 2)}
    assert len(group_matches) == 4 * 6
    assert [(f.group, f.place) for f in feeds] == [
        ("A", 1), ("B", 2), ("D", 1), ("C", 2), ("B", 1), ("A", 2), ("C", 1), ("D", 2),
    ]  # fmt: skip
    assert feeds[0] == KnockoutFeed(group="A", place=1, round_no=1, slot=0, side="home")
    assert [m.stage for m in matches if m.stage != "group"].count("third_place") == 1


@pytest.mark.parametrize(
    ("group_count", "advance"),
    [(1, 2), (2, 0), (2, 5)],
)
def test_groups_then_knockout_rejects_bad_settings(group_count, advance):
    with pytest.raises(ValueError):
        groups_then_knockout(range(8), group_count=group_count, advance_per_group=advance)


# --- standings -------------------------------------------------------------------------------------------------------


def order(table):
    return [(row.entry, row.place) for row in table]


def test_three_way_tie_on_points_is_resolved_by_head_to_head_before_score_difference():
    outcomes = [
        MatchOutcome(1, 2, 3, 2),  # A beats B
        MatchOutcome(2, 3, 3, 2),  # B beats C
        MatchOutcome(1, 3, 3, 2),  # A beats C
        MatchOutcome(4, 1, 3, 0),
        MatchOutcome(2, 4, 3, 2),
        MatchOutcome(3, 4, 3, 0),
        MatchOutcome(4, 3, 3, 2),
    ]
    table = compute_standings([1, 2, 3, 4], outcomes)
    rows = {row.entry: row for row in table}
    assert [rows[e].points for e in (1, 2, 3)] == [5, 5, 5] and rows[4].points == 6
    # B (+1) and C (0) have a better score difference than A (-1), but A won both their matches.
    assert (rows[1].score_difference, rows[2].score_difference, rows[3].score_difference) == (-1, 1, 0)
    assert order(table) == [(4, 1), (1, 2), (2, 3), (3, 4)]


def test_head_to_head_is_recomputed_among_the_entries_still_level():
    a, b, c, d, e, f = 1, 2, 3, 4, 5, 6
    outcomes = [
        MatchOutcome(a, c, 3, 0),
        MatchOutcome(a, d, 3, 0),
        MatchOutcome(b, a, 3, 2),
        MatchOutcome(b, c, 3, 2),
        MatchOutcome(d, b, 3, 2),
        MatchOutcome(c, d, 3, 2),
        MatchOutcome(f, a, 3, 2),
        MatchOutcome(f, b, 3, 0),
        MatchOutcome(c, e, 3, 2),
        MatchOutcome(d, e, 3, 0),
    ]
    table = compute_standings([a, b, c, d, e, f], outcomes)
    rows = {row.entry: row for row in table}
    assert {rows[x].points for x in (a, b, c, d)} == {6}
    # The four-way mini-league puts A, B (5) above C, D (4); A and B, then C and D, are level again, so only their
    # own match counts: B beat A and C beat D, although A and D have the better score differences.
    assert rows[a].score_difference > rows[b].score_difference and rows[d].score_difference > rows[c].score_difference
    assert order(table) == [(b, 1), (a, 2), (c, 3), (d, 4), (f, 5), (e, 6)]


def test_tie_resolved_by_score_difference_then_score_for():
    # 1 and 2 never met, so head-to-head cannot separate them.
    by_difference = compute_standings([1, 2, 3], [MatchOutcome(1, 3, 3, 0), MatchOutcome(2, 3, 3, 1)])
    assert order(by_difference) == [(1, 1), (2, 2), (3, 3)]
    by_score_for = compute_standings([1, 2, 3], [MatchOutcome(1, 3, 3, 1), MatchOutcome(3, 2, 2, 4)])
    assert order(by_score_for) == [(2, 1), (1, 2), (3, 3)]


def test_full_tie_shares_the_place_and_entries_without_matches_have_zeros():
    outcomes = [MatchOutcome(1, 3, 3, 1), MatchOutcome(2, 4, 3, 1)]
    table = compute_standings([2, 1, 4, 3, 9], outcomes)
    # Still level after every tie-breaker: shared places, in the order the entries were given.
    assert order(table) == [(2, 1), (1, 1), (4, 3), (3, 3), (9, 5)]
    idle = table[-1]
    assert (idle.played, idle.won, idle.drawn, idle.lost, idle.score_for, idle.score_against, idle.points) == (
        0, 0, 0, 0, 0, 0, 0,
    )  # fmt: skip


def test_points_configuration_and_draws():
    outcomes = [MatchOutcome(1, 2, 1, 1), MatchOutcome(1, 3, 2, 0), MatchOutcome(2, 3, 0, 1)]
    default = {row.entry: row for row in compute_standings([1, 2, 3], outcomes)}
    assert (default[1].won, default[1].drawn, default[1].lost, default[1].points) == (1, 1, 0, 3)
    assert (default[2].points, default[3].points) == (2, 3)
    football = compute_standings([1, 2, 3], outcomes, points_win=3, points_draw=1, points_loss=0)
    assert [(row.entry, row.points, row.place) for row in football] == [(1, 4, 1), (3, 3, 2), (2, 1, 3)]
    # Without tie-breakers, level points share the place.
    assert order(compute_standings([1, 2, 3], outcomes, tiebreakers=())) == [(1, 1), (3, 1), (2, 3)]


@pytest.mark.parametrize(
    ("outcomes", "kwargs"),
    [
        ([], {"tiebreakers": ("goal_average",)}),
        ([MatchOutcome(1, 1, 3, 0)], {}),
        ([MatchOutcome(1, 7, 3, 0)], {}),
        ([MatchOutcome(1, 2, -1, 0)], {}),
    ],
)
def test_standings_reject_bad_input(outcomes, kwargs):
    with pytest.raises(ValueError):
        compute_standings([1, 2], outcomes, **kwargs)


# --- ranking ---------------------------------------------------------------------------------------------------------


def test_rank_values_with_ties_and_missing_results():
    distances = {1: Decimal("10.5"), 2: Decimal("12.0"), 3: Decimal("12.00"), 4: Decimal("9"), 5: None}
    ranks = rank_values(distances, higher_is_better=True)
    assert ranks == {2: 1, 3: 1, 1: 3, 4: 4, 5: None}
    assert list(ranks) == [2, 3, 1, 4, 5]
    times = {7: Decimal("12.31"), 8: None, 9: Decimal("11.90"), 6: Decimal("12.31"), 5: Decimal("13")}
    assert list(rank_values(times, higher_is_better=False).items()) == [(9, 1), (6, 2), (7, 2), (5, 4), (8, None)]
    assert rank_values({1: None, 2: None}, higher_is_better=True) == {1: None, 2: None}
    assert rank_values({}, higher_is_better=True) == {}
    with pytest.raises(ValueError):
        rank_values({1: Decimal("NaN")}, higher_is_better=True)


def test_judged_scores_drop_extremes_and_round_half_up():
    scores = {
        1: [Decimal("9.0"), Decimal("9.5"), Decimal("8.5"), Decimal("9.2"), Decimal("7.0")],
        2: [Decimal("85.00"), Decimal("85.01")],  # 85.005: half-up gives 85.01 where banker's rounding gives 85.00
        3: [Decimal("1"), Decimal("1"), Decimal("2")],
    }
    assert judged_scores({2: scores[2], 3: scores[3]}, drop_extremes=False) == {
        2: Decimal("85.01"),
        3: Decimal("1.33"),
    }
    kept = judged_scores({1: scores[1], 3: scores[3]}, drop_extremes=True)
    assert kept == {1: Decimal("8.90"), 3: Decimal("1.00")}
    assert str(kept[1]) == "8.90"
    # Ties after averaging share a rank.
    averages = judged_scores({4: [9, 8, 7], 5: [8, 8, 8], 6: [9, 9, 9]}, drop_extremes=True)
    assert rank_values(averages, higher_is_better=True) == {6: 1, 4: 2, 5: 2}


@pytest.mark.parametrize(
    ("scores", "drop_extremes"), [({1: [Decimal(9), Decimal(8)]}, True), ({1: []}, False), ({1: []}, True)]
)
def test_judged_scores_reject_too_few_scores(scores, drop_extremes):
    with pytest.raises(ValueError):
        judged_scores(scores, drop_extremes=drop_extremes)


# --- medals and team points ------------------------------------------------------------------------------------------


PLACINGS = [
    # Competition 1: a knockout without a third-place match, so two bronzes.
    Placing(competition=1, entry=101, unit=10, place=1),
    Placing(competition=1, entry=102, unit=20, place=2),
    Placing(competition=1, entry=103, unit=30, place=3),
    Placing(competition=1, entry=104, unit=40, place=3),
    Placing(competition=1, entry=105, unit=50, place=5),
    # Competition 2: a shared first place, so no silver and the next place is a bronze.
    Placing(competition=2, entry=201, unit=20, place=1),
    Placing(competition=2, entry=202, unit=30, place=1),
    Placing(competition=2, entry=203, unit=10, place=3),
    Placing(competition=2, entry=204, unit=50, place=4),
]


def test_medal_table_orders_by_gold_silver_bronze_and_shares_ranks():
    rows = [(r.unit, r.gold, r.silver, r.bronze, r.total, r.rank) for r in medal_table(PLACINGS)]
    assert rows == [
        (20, 1, 1, 0, 2, 1),
        (10, 1, 0, 1, 2, 2),
        (30, 1, 0, 1, 2, 2),
        (40, 0, 0, 1, 1, 4),
    ]  # unit 50 won no medal and is not listed
    assert medal_table([]) == []
    with pytest.raises(ValueError):
        medal_table([Placing(1, 1, 1, 0)])
    with pytest.raises(ValueError):
        medal_table([Placing(1, 1, 1, 1), Placing(1, 1, 1, 2)])


def test_team_points_split_tied_places():
    per_placing = placing_points(PLACINGS)
    assert per_placing[1, 103] == per_placing[1, 104] == Decimal("3.5")  # places 3 and 4: (4 + 3) / 2
    assert per_placing[2, 201] == per_placing[2, 202] == Decimal("6")  # places 1 and 2: (7 + 5) / 2
    assert per_placing[1, 105] == Decimal(2)
    assert team_points(PLACINGS) == {
        20: Decimal("11"),  # 5 + 6
        10: Decimal("11"),  # 7 + 4
        30: Decimal("9.5"),  # 3.5 + 6
        40: Decimal("3.5"),
        50: Decimal("5"),  # 2 + 3
    } and list(team_points(PLACINGS)) == [10, 20, 30, 50, 40]

    three_way = [Placing(1, entry, entry, 1) for entry in (1, 2, 3)] + [Placing(1, 4, 4, 6), Placing(1, 5, 5, 6)]
    points = team_points(three_way)
    assert points[1] == points[2] == points[3] == Decimal("5.33")  # (7 + 5 + 4) / 3, rounded half up
    assert points[4] == points[5] == Decimal("0.5")  # places 6 and 7: (1 + 0) / 2
    assert team_points([Placing(1, 1, 1, 2), Placing(1, 2, 2, 9)], points_by_place=(10, 6)) == {
        1: Decimal(6),
        2: Decimal(0),
    }
    with pytest.raises(ValueError):
        team_points([Placing(1, 1, 1, 1)], points_by_place=(5, -1))


def test_placings_from_knockout():
    assert placings_from_knockout(final_winner=1, final_loser=2, semi_final_losers=[3, 4]) == {1: 1, 2: 2, 3: 3, 4: 3}
    with_third = placings_from_knockout(final_winner=1, final_loser=2, semi_final_losers=[3, 4], third_place_winner=4)
    assert with_third == {1: 1, 2: 2, 4: 3, 3: 4}
    assert placings_from_knockout(final_winner=5, final_loser=6) == {5: 1, 6: 2}
    for kwargs in (
        {"final_winner": 1, "final_loser": 1},
        {"final_winner": 1, "final_loser": 2, "semi_final_losers": [2, 3]},
        {"final_winner": 1, "final_loser": 2, "semi_final_losers": [3, 4, 5]},
        {"final_winner": 1, "final_loser": 2, "semi_final_losers": [3, 4], "third_place_winner": 5},
        {"final_winner": 1, "final_loser": 2, "semi_final_losers": [3], "third_place_winner": 3},
    ):
        with pytest.raises(ValueError):
            placings_from_knockout(**kwargs)
