# A performance index for the public competition pages: their cache version reads the latest change of a
# competition's matches on every request, which this index answers without scanning the matches.
# Match.Meta.indexes in models.py must list the same index (see the note in activities/selectors/competition_cache.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="match",
            index=models.Index(fields=["competition", "updated_at"], name="match_competition_updated"),
        ),
    ]
