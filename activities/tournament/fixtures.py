"""Draw plans for ball-game tournaments: round robins, snake-seeded groups and single-elimination brackets.

Everything here is pure: entry ids in, `PlannedMatch` dataclasses out. The services that persist `Match` rows
translate a plan into rows (and `next_slot` tuples into `next_match` foreign keys); nothing here touches the database.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

__all__ = [
    "GROUP",
    "KNOCKOUT",
    "THIRD_PLACE",
    "GroupsThenKnockout",
    "KnockoutFeed",
    "PlannedMatch",
    "bracket_order",
    "groups_then_knockout",
    "knockout",
    "round_robin",
    "snake_groups",
]

# Stage names match `activities.models.Match.Stage` values.
GROUP = "group"
KNOCKOUT = "knockout"
THIRD_PLACE = "third_place"

Side = Literal["home", "away"]
GROUP_LABELS = string.ascii_uppercase


@dataclass(frozen=True)
class PlannedMatch:
    """One match of a draw plan.

    `round_no` is 1-based per stage; `slot` is the 0-based position inside the round. In a knockout, `next_slot`
    says where the winner goes, as (round_no, slot, "home" | "away") of the knockout stage; `loser_next_slot` does
    the same for the semi-final losers when there is a third-place match. A first-round match with `is_bye` has only
    a home entry, who advances without playing.
    """

    stage: str
    round_no: int
    slot: int
    home: int | None
    away: int | None
    group: str = ""
    next_slot: tuple[int, int, Side] | None = None
    loser_next_slot: tuple[int, int, Side] | None = None
    is_bye: bool = False


@dataclass(frozen=True)
class KnockoutFeed:
    """Which group place fills which side of a first-round knockout match: e.g. ("A", 1, 1, 0, "home") = A1."""

    group: str
    place: int
    round_no: int
    slot: int
    side: Side


class GroupsThenKnockout(NamedTuple):
    """The plan of a groups-then-knockout competition; unpacks like a tuple: `groups, matches, feeds = ...`."""

    groups: dict[str, list[int]]
    matches: list[PlannedMatch]  # group-stage round robins first, then the knockout skeleton (home/away None)
    feeds: list[KnockoutFeed]


def _check_entries(entries: Sequence[int], *, minimum: int = 2, what: str = "entries") -> list[int]:
    """Return the entries as a list; ValueError when there are too few or an id repeats."""
    entries = list(entries)
    if len(entries) < minimum:
        raise ValueError(f"At least {minimum} {what} are needed, got {len(entries)}.")
    if len(set(entries)) != len(entries):
        duplicates = sorted({entry for entry in entries if entries.count(entry) > 1})
        raise ValueError(f"Each entry may appear only once; repeated: {duplicates}.")
    return entries


def round_robin(entries: Sequence[int], *, group: str = "", double: bool = False) -> list[PlannedMatch]:
    """Plan a round robin in which every pair of entries meets once (twice with `double`).

    The circle (polygon) method: one seat is fixed and the others turn around it one step per round, so n entries
    need n - 1 rounds (n even) or n rounds (n odd). For an even n the first entry holds the fixed seat. For an odd n
    a bye placeholder holds it instead: its opponent simply rests that round and no match is planned; the schedule
    is the same one the textbook "fix the first entry, rotate the rest" gives, up to renaming, but with the bye
    fixed the home/away rule below balances perfectly.

    Home and away follow de Werra's rule (pair at distance k from the round's centre: the clockwise entry is home
    when k is odd; the fixed entry is home in odd-numbered rounds). With an odd n every entry then strictly
    alternates home and away between the matches it plays; with an even n every entry's home and away counts differ
    by exactly one and the whole schedule has the minimum possible n - 2 "breaks" (two home or two away matches in a
    row), never three in a row. `double` appends the same rounds again with home and away swapped.

    Raises ValueError for fewer than two entries or a repeated entry.
    """
    entries = _check_entries(entries)
    n = len(entries)
    odd = n % 2 == 1
    # q seats on the circle (always odd); the fixed seat is the first entry (n even) or the bye (n odd).
    q = n if odd else n - 1
    circle = entries if odd else entries[1:]
    fixed = None if odd else entries[0]

    rounds: list[list[tuple[int, int]]] = []
    for r in range(q):
        pairs: list[tuple[int, int]] = []
        centre = circle[r]
        if fixed is not None:
            # round_no = r + 1, so "odd-numbered round" is an even r.
            pairs.append((fixed, centre) if r % 2 == 0 else (centre, fixed))
        for k in range(1, (q - 1) // 2 + 1):
            clockwise, counter = circle[(r + k) % q], circle[(r - k) % q]
            pairs.append((clockwise, counter) if k % 2 == 1 else (counter, clockwise))
        rounds.append(pairs)
    if double:
        rounds += [[(away, home) for home, away in pairs] for pairs in rounds]

    return [
        PlannedMatch(stage=GROUP, round_no=round_no, slot=slot, home=home, away=away, group=group)
        for round_no, pairs in enumerate(rounds, start=1)
        for slot, (home, away) in enumerate(pairs)
    ]


def snake_groups(seeded_entries: Sequence[int], group_count: int) -> dict[str, list[int]]:
    """Deal entries (best seed first) into groups "A", "B", ... snake-wise: A B C D D C B A A B C D ...

    The snake keeps the groups even: group A gets seeds 1 and 2g, group B seeds 2 and 2g - 1, and so on. Sizes differ
    by at most one. Each group lists its entries in seed order.

    Raises ValueError when group_count is below 1, above 26 (labels A-Z), or leaves a group with fewer than two
    entries (more groups than entries / 2), and for a repeated entry.
    """
    if group_count < 1:
        raise ValueError(f"At least one group is needed, got {group_count}.")
    if group_count > len(GROUP_LABELS):
        raise ValueError(f"At most {len(GROUP_LABELS)} groups (A-Z) are supported, got {group_count}.")
    entries = _check_entries(seeded_entries)
    if group_count * 2 > len(entries):
        raise ValueError(
            f"{len(entries)} entries cannot fill {group_count} groups: every group needs at least two entries."
        )
    groups: dict[str, list[int]] = {GROUP_LABELS[i]: [] for i in range(group_count)}
    labels = list(groups)
    for index, entry in enumerate(entries):
        row, column = divmod(index, group_count)
        # Odd rows run backwards: that is the snake.
        label = labels[column] if row % 2 == 0 else labels[group_count - 1 - column]
        groups[label].append(entry)
    return groups


def bracket_order(size: int) -> list[int]:
    """Seed numbers (1-based) in bracket position order for a bracket of `size` (a power of two).

    Built recursively: each seed s of the half-size bracket is followed by its opponent size + 1 - s, so
    bracket_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]. Seeds 1 and 2 can then meet only in the final, seeds 1-4 only in
    the semi-finals, and so on. Raises ValueError when size is not a power of two.
    """
    if size < 1 or size & (size - 1):
        raise ValueError(f"A bracket size must be a power of two, got {size}.")
    order = [1]
    while len(order) < size:
        doubled = len(order) * 2
        order = [seed for s in order for seed in (s, doubled + 1 - s)]
    return order


def _bracket_size(count: int) -> int:
    return 1 << (count - 1).bit_length()


def knockout(seeded_entries: Sequence[int], *, third_place: bool = False) -> list[PlannedMatch]:
    """Plan a single-elimination bracket for entries given in seed order (unseeded ones last, in draw order).

    The bracket size is the next power of two and seeds sit at the standard positions (see `bracket_order`). The
    missing entries are byes and fall to the top seeds: such a first-round match has `away=None, is_bye=True` and its
    home entry advances without playing (the caller moves it on through `next_slot`). Rounds 2..k (k = log2 of the
    bracket size; round k is the final) are planned with home and away None and every match except the final is
    wired to the next round with `next_slot`. With `third_place`, a "third_place" match is added with the final's
    round_no, and both semi-finals point their loser at it with `loser_next_slot`.

    Raises ValueError for fewer than two entries, a repeated entry, or a third-place match with fewer than four
    entries (there would be at most one semi-final loser).
    """
    entries = _check_entries(seeded_entries)
    if third_place and len(entries) < 4:
        raise ValueError(f"A third-place match needs at least 4 entries, got {len(entries)}.")
    size = _bracket_size(len(entries))
    positions = bracket_order(size)
    seeds = {seed: entries[seed - 1] for seed in range(1, len(entries) + 1)}

    matches = []
    for slot in range(size // 2):
        # bracket_order puts the better seed first in every pair, so it is home and the bye (if any) is away.
        home, away = seeds.get(positions[2 * slot]), seeds.get(positions[2 * slot + 1])
        matches.append(PlannedMatch(stage=KNOCKOUT, round_no=1, slot=slot, home=home, away=away, is_bye=away is None))
    rounds = size.bit_length() - 1
    for round_no in range(2, rounds + 1):
        for slot in range(size >> round_no):
            matches.append(PlannedMatch(stage=KNOCKOUT, round_no=round_no, slot=slot, home=None, away=None))

    wired = []
    for match in matches:
        next_slot = loser_next_slot = None
        if match.round_no < rounds:
            next_slot = (match.round_no + 1, match.slot // 2, "home" if match.slot % 2 == 0 else "away")
            if third_place and match.round_no == rounds - 1:
                loser_next_slot = (rounds, 0, "home" if match.slot == 0 else "away")
        wired.append(replace(match, next_slot=next_slot, loser_next_slot=loser_next_slot))
    if third_place:
        wired.append(PlannedMatch(stage=THIRD_PLACE, round_no=rounds, slot=0, home=None, away=None))
    return wired


def _meeting_round(position_a: int, position_b: int) -> int:
    """The round in which the entries at two 0-based bracket positions could first meet (1 = first round)."""
    return (position_a ^ position_b).bit_length()


def groups_then_knockout(
    seeded_entries: Sequence[int], *, group_count: int, advance_per_group: int, third_place: bool = False
) -> GroupsThenKnockout:
    """Plan group round robins (snake-seeded) followed by a knockout for the best `advance_per_group` of each group.

    Returns (groups, matches, feeds): the groups as `snake_groups` deals them; the group-stage matches (stage
    "group", rounds numbered per group) followed by the knockout skeleton from `knockout` with every home and away
    None (first-round byes keep `is_bye`); and the `KnockoutFeed`s saying which group place fills which first-round
    side.

    Qualifiers are seeded by place first (all group winners, then all runners-up, ...), so group winners meet
    runners-up of other groups (A1 v B2, B1 v A2 ...) and any byes go to group winners. Within each place the group
    order is rotated so that qualifiers from the same group never meet in the first knockout round; of the rotations
    the one keeping them furthest apart is taken. With two qualifiers per group, a group's winner and runner-up can
    then meet only in the final (for 2 to 26 groups); with three or more per group the separation is best-effort.

    Raises ValueError for fewer than two groups, advance_per_group below 1 or above the smallest group's size, fewer
    than two qualifiers, and for everything `snake_groups` and `knockout` reject.
    """
    if group_count < 2:
        raise ValueError(f"Groups then knockout needs at least two groups, got {group_count}.")
    groups = snake_groups(seeded_entries, group_count)
    smallest = min(len(members) for members in groups.values())
    if not 1 <= advance_per_group <= smallest:
        raise ValueError(
            f"Between 1 and {smallest} entries per group can advance (the smallest group), got {advance_per_group}."
        )

    matches = [match for label, members in groups.items() for match in round_robin(members, group=label)]
    labels = list(groups)
    qualifiers = _seed_qualifiers(labels, advance_per_group)
    # Plan the bracket on stand-in ids 0..q-1 (the qualifiers' seed indexes), then blank them out.
    bracket = knockout(range(len(qualifiers)), third_place=third_place)
    feeds = []
    for match in bracket:
        if match.stage == KNOCKOUT and match.round_no == 1:
            for side, stand_in in (("home", match.home), ("away", match.away)):
                if stand_in is not None:
                    label, place = qualifiers[stand_in]
                    feeds.append(KnockoutFeed(group=label, place=place, round_no=1, slot=match.slot, side=side))
        matches.append(replace(match, home=None, away=None))
    return GroupsThenKnockout(groups=groups, matches=matches, feeds=feeds)


def _seed_qualifiers(labels: list[str], advance_per_group: int) -> list[tuple[str, int]]:
    """Order the (group, place) qualifiers as knockout seeds: place-major, groups rotated per place.

    Places are settled one after another: for each place the rotation of the group order is chosen that keeps
    same-group qualifiers (among the places settled so far) furthest apart in the bracket, compared as the sorted
    list of their meeting rounds, so that first a first-round meeting and then every early meeting is avoided where
    the bracket allows it. Ties go to the smallest rotation, which keeps the draw deterministic.
    """
    group_count = len(labels)
    size = _bracket_size(group_count * advance_per_group)
    position_of_seed = {seed: position for position, seed in enumerate(bracket_order(size))}

    seeded: list[tuple[str, int]] = [(label, 1) for label in labels]
    for place in range(2, advance_per_group + 1):
        best_key, best_order = None, None
        for rotation in range(group_count):
            order = seeded + [(labels[(i + rotation) % group_count], place) for i in range(group_count)]
            key = _separation_key(order, position_of_seed)
            if best_key is None or key > best_key:
                best_key, best_order = key, order
        seeded = best_order
    if _separation_key(seeded, position_of_seed)[:1] == [1]:
        # Never seen for two or more groups; guard so a bad draw fails loudly instead of being persisted.
        raise ValueError("Could not keep qualifiers from the same group apart in the first knockout round.")
    return seeded


def _separation_key(order: list[tuple[str, int]], position_of_seed: dict[int, int]) -> list[int]:
    """Sorted meeting rounds of every pair of same-group qualifiers; a larger list (lexicographically) is better."""
    positions_by_group: dict[str, list[int]] = {}
    for seed, (label, _place) in enumerate(order, start=1):
        positions_by_group.setdefault(label, []).append(position_of_seed[seed])
    return sorted(
        _meeting_round(a, b)
        for positions in positions_by_group.values()
        for i, a in enumerate(positions)
        for b in positions[i + 1 :]
    )
