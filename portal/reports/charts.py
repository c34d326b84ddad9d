"""Geometry of the dashboard's bar charts, drawn by the template as inline SVG: no JavaScript, works offline."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list
    orientation: str  # "horizontal": one row per item; "vertical": columns side by side
    baseline: float = 0

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _display(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def horizontal_bars(title: str, items, *, width: int = 360, label_width: int = 110, row: int = 26) -> Chart:
    """One labelled bar per (label, value), longest = full width; labels left, values at the bar's end."""
    items = list(items)
    top = max((value for _, value in items), default=0) or 1
    track = width - label_width - 56
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * row + 4
        length = track * value / top
        bars.append(
            Bar(
                label=str(label),
                value=value,
                display=_display(value),
                x=label_width,
                y=y,
                width=round(length, 1),
                height=row - 8,
                label_x=label_width - 6,
                label_y=y + (row - 8) / 2 + 4,
                value_x=round(label_width + length + 4, 1),
                value_y=y + (row - 8) / 2 + 4,
            )
        )
    return Chart(title=title, width=width, height=max(len(items) * row + 8, 40), bars=bars, orientation="horizontal")


def vertical_bars(title: str, items, *, width: int = 360, height: int = 180) -> Chart:
    """Columns side by side (e.g. months), labels under them and values on top."""
    items = list(items)
    top = max((value for _, value in items), default=0) or 1
    baseline = height - 22
    track = baseline - 18
    slot = width / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        length = track * value / top
        x = index * slot + slot * 0.15
        bars.append(
            Bar(
                label=str(label),
                value=value,
                display=_display(value),
                x=round(x, 1),
                y=round(baseline - length, 1),
                width=round(slot * 0.7, 1),
                height=round(length, 1),
                label_x=round(index * slot + slot / 2, 1),
                label_y=height - 6,
                value_x=round(index * slot + slot / 2, 1),
                value_y=round(baseline - length - 4, 1),
            )
        )
    return Chart(title=title, width=width, height=height, bars=bars, orientation="vertical", baseline=baseline)
