"""Domain apps add their demo data to `seed_demo` through this registry, so portal imports no domain app.

An app registers a seeder in its AppConfig.ready(); `seed_demo` calls every seeder after the shared model
is seeded, in registration order (INSTALLED_APPS order). A seeder must be idempotent.
"""

from collections.abc import Callable

DemoSeeder = Callable[..., str]
_seeders: list[tuple[str, DemoSeeder]] = []


def register_demo_seeder(name: str, seeder: DemoSeeder) -> None:
    """Register `seeder(*, scale: str, progress: Callable[[str], None]) -> str` (returns a one-line summary)."""
    if name not in {registered for registered, _ in _seeders}:
        _seeders.append((name, seeder))


def demo_seeders() -> list[tuple[str, DemoSeeder]]:
    return list(_seeders)
